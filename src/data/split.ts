// split.ts owns train/validation splits by patient — never slices of one patient on both sides.
// A side is chosen by explicit selectors ("001-080", "81-100,105", ["patient003", …], "rest") or
// by a seeded fraction of the patients.
import { Random } from "../util/random.js";
import type { SliceProvenance } from "./types.js";

/** "001-080,090" (numeric ranges/numbers against the patient id's trailing number), exact ids, or "rest". */
export type PatientSelector = string | readonly string[];

export type SplitSpec =
  | { readonly train: PatientSelector; readonly val: PatientSelector }
  | { readonly valFraction: number; readonly seed: number };

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

export function splitPatients(patients: readonly string[], spec: SplitSpec): PatientSplit {
  const all = [...new Set(patients)].sort();
  if (all.length < 2) throw new Error(`split: need at least 2 patients, have ${all.length}`);
  let train: string[], val: string[];
  if ("valFraction" in spec) {
    if (!(spec.valFraction > 0 && spec.valFraction < 1)) throw new Error(`split.valFraction must be in (0, 1), got ${spec.valFraction}`);
    const order = new Random(spec.seed).shuffle(all.slice());
    const nVal = Math.min(all.length - 1, Math.max(1, Math.round(spec.valFraction * all.length)));
    val = order.slice(0, nVal).sort();
    train = order.slice(nVal).sort();
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
  if (train.length === 0 || val.length === 0) throw new Error(`split: ${train.length} train / ${val.length} val patients; both sides need at least one`);
  return { train, val };
}

/** Slices on each side of a patient split; slices of patients in neither list are dropped. */
export function splitSlices<T extends { readonly provenance: SliceProvenance }>(slices: readonly T[], split: PatientSplit): { train: T[]; val: T[] } {
  const tr = new Set(split.train), va = new Set(split.val);
  return {
    train: slices.filter((s) => tr.has(s.provenance.patient)),
    val: slices.filter((s) => va.has(s.provenance.patient)),
  };
}
