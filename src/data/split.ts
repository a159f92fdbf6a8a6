// split.ts owns train/validation splits by patient — never slices of one patient on both sides.
// A side is chosen by explicit selectors ("001-080", "81-100,105", ["patient003", …], "rest"), by a
// seeded fraction of the patients, or as one fold of a patient-level k-fold cross-validation
// stratified by group (ACDC's NOR, MINF, DCM, HCM, RV), deterministic from its seed.
import { Random } from "../util/random.js";
import type { SliceProvenance } from "./types.js";

/** "001-080,090" (numeric ranges/numbers against the patient id's trailing number), exact ids, or "rest". */
export type PatientSelector = string | readonly string[];

export type SplitSpec =
  | { readonly train: PatientSelector; readonly val: PatientSelector }
  | { readonly valFraction: number; readonly seed: number }
  | KFoldSpec;

/** Fold `fold` (0-based) of `folds` is validation, the other folds training. */
export interface KFoldSpec {
  readonly folds: number;
  readonly fold: number;
  readonly seed: number;
  /** Patient → group (stratification); patients without one form one group of their own kind. */
  readonly groups?: ReadonlyMap<string, string>;
}

export interface PatientSplit {
  readonly train: readonly string[];
  readonly val: readonly string[];
}

/** The trailing number of an id (patient081 -> 81), or null. */
function patientNumber(id: string): number | null {
  const m = /(\d+)\D*$/.exec(id);
  return m ? Number(m[1]) : null;
}

function tokens(sel: PatientSelector): string[] {
  const parts = typeof sel === "string" ? sel.split(",") : [...sel];
  return parts.map((t) => t.trim()).filter((t) => t.length > 0);
}

/** Patients chosen by `sel` ("rest" = everything not in `others`). */
export function selectPatients(patients: readonly string[], sel: PatientSelector, side: string, others: readonly string[] = []): string[] {
  const chosen = new Set<string>();
  for (const tok of tokens(sel)) {
    let hit: string[];
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(tok);
    if (tok === "rest" || tok === "*") hit = patients.filter((p) => !others.includes(p));
    else if (range) {
      const lo = Number(range[1]), hi = Number(range[2]);
      hit = patients.filter((p) => { const n = patientNumber(p); return n !== null && n >= lo && n <= hi; });
    } else if (/^\d+$/.test(tok)) hit = patients.filter((p) => patientNumber(p) === Number(tok));
    else hit = patients.filter((p) => p === tok);
    if (hit.length === 0) throw new Error(`split.${side}: "${tok}" matches no patient (have ${describe(patients)})`);
    for (const p of hit) chosen.add(p);
  }
  return [...chosen].sort();
}

function describe(patients: readonly string[]): string {
  if (patients.length <= 4) return patients.join(", ") || "none";
  return `${patients.length}: ${patients[0]} … ${patients[patients.length - 1]}`;
}

/** `val: none` holds out no patient: training uses them all and the run has no validation. */
export function isNoValidation(sel: PatientSelector): boolean {
  const t = tokens(sel);
  return t.length === 1 && t[0] === "none";
}

export function splitPatients(patients: readonly string[], spec: SplitSpec): PatientSplit {
  const all = [...new Set(patients)].sort();
  if (all.length < 2) throw new Error(`split: need at least 2 patients (training and validation are split by patient), have ${all.length}${all.length ? `: ${all[0]}` : ""}`);
  let train: string[], val: string[];
  if ("folds" in spec) {
    const fold = kFoldAssignment(all, spec);
    val = all.filter((p) => fold.get(p) === spec.fold);
    train = all.filter((p) => fold.get(p) !== spec.fold);
  } else if ("valFraction" in spec) {
    if (!(spec.valFraction > 0 && spec.valFraction < 1)) throw new Error(`split.valFraction must be in (0, 1), got ${spec.valFraction}`);
    const order = new Random(spec.seed).shuffle(all.slice());
    const nVal = Math.min(all.length - 1, Math.max(1, Math.round(spec.valFraction * all.length)));
    val = order.slice(0, nVal).sort();
    train = order.slice(nVal).sort();
  } else if (isNoValidation(spec.val)) {
    // A final model trained on every patient (the shipped model): nothing is held out.
    return { train: selectPatients(all, spec.train, "train"), val: [] };
  } else {
    const valIsRest = tokens(spec.val).some((t) => t === "rest" || t === "*");
    if (valIsRest) {
      train = selectPatients(all, spec.train, "train");
      val = selectPatients(all, spec.val, "val", train);
    } else {
      val = selectPatients(all, spec.val, "val");
      train = selectPatients(all, spec.train, "train", val);
    }
  }
  const both = train.filter((p) => val.includes(p));
  if (both.length > 0) throw new Error(`split: patient(s) ${both.join(", ")} selected for both train and val`);
  if ("folds" in spec && !(Number.isInteger(spec.fold) && spec.fold >= 0 && spec.fold < spec.folds)) {
    throw new Error(`split.fold must be an integer in [0, ${spec.folds - 1}], got ${spec.fold}`);
  }
  if (train.length === 0 || val.length === 0) throw new Error(`split: ${train.length} train / ${val.length} val patients; both sides need at least one`);
  return { train, val };
}

/**
 * The fold (0..folds-1) of every patient: within each group (in sorted group order) the patients are
 * shuffled by one seeded generator, the groups are concatenated, and the i-th patient of that list
 * goes to fold i mod folds. Each fold thus holds every group in proportion (5 groups of 20 patients
 * in 5 folds: 4 of each per fold), and fold sizes differ by at most one.
 */
export function kFoldAssignment(patients: readonly string[], spec: Omit<KFoldSpec, "fold">): Map<string, number> {
  const all = [...new Set(patients)].sort();
  const { folds } = spec;
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`split.folds must be an integer >= 2, got ${folds}`);
  if (folds > all.length) throw new Error(`split.folds: ${folds} folds need at least ${folds} patients, have ${all.length}`);
  const byGroup = new Map<string, string[]>();
  for (const p of all) {
    const g = spec.groups?.get(p) ?? "";
    const list = byGroup.get(g);
    if (list) list.push(p);
    else byGroup.set(g, [p]);
  }
  const random = new Random(spec.seed);
  const order = [...byGroup.keys()].sort().flatMap((g) => random.shuffle(byGroup.get(g)!.slice()));
  return new Map(order.map((p, i) => [p, i % folds]));
}

/** Slices on each side of a patient split; slices of patients in neither list are dropped. */
export function splitSlices<T extends { readonly provenance: SliceProvenance }>(slices: readonly T[], split: PatientSplit): { train: T[]; val: T[] } {
  const tr = new Set(split.train), va = new Set(split.val);
  return {
    train: slices.filter((s) => tr.has(s.provenance.patient)),
    val: slices.filter((s) => va.has(s.provenance.patient)),
  };
}
