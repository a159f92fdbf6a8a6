// src/eval/score.ts — scores a set of (prediction, truth) label volumes into the stable score
// JSON shared by `cardioseg score`, `cardioseg evaluate` and `cardioseg report`.
//
// JSON (numbers that are undefined, e.g. a class absent from both sides, are null):
// { "classes": [names], "overall_acc", "mean_acc", "freqw_iou", "mean_iou", "mean_dice",
//   "per_class": {name: {"iou", "dice", "acc"}},
//   "cases": [{"id", "phase", "subject", "dice": {structure: v}, "hd95_mm": {…}, "assd_mm": {…},
//              "volume_ml": {…} (prediction), "volume_ml_gt": {…}, "unannotated"?: [structure]}],
//   "summary": {"all" | "ED" | "ES": {structure: {"n", "dice_mean", "dice_sd", "hd95_mm_mean",
//              "assd_mm_mean", "n_distance_undefined", "n_unannotated"}}},
//   "clinical": {"subjects": [{"subject", "pred": {...}, "gt": {...}}], "agreement": {index:
//              {"n", "pearson_r", "bias", "sd", "loa_low", "loa_high"}}} | null,
//   "skipped": [{"id", "reason"}] }
// Structures are the classes after the first (background); the scores over the pooled confusion
// matrix include background, as deeplab-pytorch's do. `structures` restricts the scoring to some of
// them (e.g. MYO and LV for Sunnybrook, which draws no RV): the others count as background.
//
// Partially annotated truth: a truth voxel of UNANNOTATED (255, src/io/image.ts) is "background or a
// structure not drawn on this case". The structures drawn on a case are those present in its truth;
// a 255 voxel predicted as one of them is a false positive of it (counted with background as the
// truth), any other prediction there is left out. Structures not drawn on a case that has 255 voxels
// are not scored on it (null, listed in "unannotated", counted in the summary's n_unannotated). On
// Sunnybrook (one slice per case) this scores the myocardium only where an o-contour was drawn,
// exactly: a voxel outside the i-contour is known not to be LV cavity but may be myocardium.
import { assertSameGeometry, UNANNOTATED, type LabelVolume } from "../io/image.js";
import { clinicalReport, voxelVolumeMl, type SubjectPhases } from "./clinical.js";
import { ConfusionMatrix, summaryScores } from "./confusion.js";
import { nanmean, sampleSd } from "./stats.js";
import { structureScores } from "./surface.js";

export type Phase = "ED" | "ES";
export type Num = number | null;
export type ByStructure = Record<string, Num>;

export interface ScoreCaseInput {
  /** File name without .nii.gz. */
  id: string;
  phase: Phase | null;
  /** Groups the ED and ES frames of one patient for clinical indices; derived from id if absent. */
  subject?: string;
  pred: LabelVolume;
  truth: LabelVolume;
}

export interface CaseScores {
  id: string;
  phase: Phase | null;
  subject: string;
  dice: ByStructure;
  hd95_mm: ByStructure;
  assd_mm: ByStructure;
  volume_ml: ByStructure;
  volume_ml_gt: ByStructure;
  /** Structures not drawn on this partially annotated case, hence not scored (absent when none). */
  unannotated?: string[];
}

export interface StructureSummary {
  n: number;
  dice_mean: Num;
  dice_sd: Num;
  hd95_mm_mean: Num;
  assd_mm_mean: Num;
  /** Cases where exactly one side is empty: distances undefined and left out of the means. */
  n_distance_undefined: number;
  /** Cases where the structure was not annotated (partial truth): not scored. */
  n_unannotated: number;
}

export interface ScoreReport {
  classes: string[];
  overall_acc: Num;
  mean_acc: Num;
  freqw_iou: Num;
  mean_iou: Num;
  mean_dice: Num;
  per_class: Record<string, { iou: Num; dice: Num; acc: Num }>;
  cases: CaseScores[];
  summary: Record<string, Record<string, StructureSummary>>;
  clinical: { subjects: { subject: string; pred: Record<string, Num>; gt: Record<string, Num> }[]; agreement: Record<string, Record<string, Num>> } | null;
  skipped: { id: string; reason: string }[];
}

export const ACDC_CLASSES: readonly string[] = ["background", "RV", "MYO", "LV"];

export interface ScoreOptions {
  /** Structures to score, by name (default every class after background); the others count as background. */
  structures?: readonly string[];
}

/** Finite number or null, so that JSON round-trips exactly. */
export function num(x: number): Num {
  return Number.isFinite(x) ? x : null;
}

/** Subject of a case id: the id without an ACDC `_frameNN` or an `_ED`/`_ES` token. */
export function subjectFromId(id: string): string {
  return id.replace(/[_-]frame\d+$/i, "").replace(/[_-](ED|ES)(?=$|[_-])/i, "");
}

/** Streams cases in (each is scored and dropped), then assembles the report. */
export class ScoreAccumulator {
  /** The classes scored: background, then the kept structures in label order. */
  readonly classes: readonly string[];
  private readonly matrix: ConfusionMatrix;
  private readonly cases: CaseScores[] = [];
  private readonly subjectPhases = new Set<string>();
  /** Label value -> scored class index, when `structures` drops some (null = identity). */
  private readonly remap: Uint8Array | null = null;

  constructor(classes: readonly string[], options: ScoreOptions = {}) {
    if (classes.length < 2) throw new Error("scoring needs at least two classes (background and one structure)");
    if (new Set(classes).size !== classes.length) throw new Error(`class names repeat: ${classes.join(",")}`);
    this.classes = classes;
    if (options.structures) {
      const keep = new Set(options.structures);
      for (const s of keep) if (!classes.slice(1).includes(s)) throw new Error(`structure "${s}" is not one of ${classes.slice(1).join(", ")}`);
      if (keep.size === 0) throw new Error("scoring needs at least one structure");
      this.classes = [classes[0], ...classes.slice(1).filter((c) => keep.has(c))];
      if (this.classes.length < classes.length) this.remap = labelRemap(classes, this.classes);
    }
    this.matrix = new ConfusionMatrix(this.classes.length);
  }

  /** Scores one case; on bad input throws an Error naming the case and changes nothing. */
  addCase(input: ScoreCaseInput): CaseScores {
    const { id } = input;
    const subject = input.subject ?? subjectFromId(id);
    let pred = input.pred, truth = input.truth;
    let notDrawn: Set<number> = new Set();
    try {
      // Two ED frames of one subject would make its clinical indices ambiguous.
      const key = `${subject}\u0000${input.phase}`;
      if (input.phase && this.subjectPhases.has(key)) throw new Error(`subject ${subject} already has an ${input.phase} case`);
      assertSameGeometry(pred, truth, "prediction vs truth");
      for (const [what, v] of [["prediction", pred], ["truth", truth]] as const) {
        if (v.dims.slice(3).some((d) => d !== 1)) throw new Error(`${what} is not a 3D volume (dims ${v.dims.join("x")})`);
      }
      if (this.remap) {
        pred = { ...pred, data: applyRemap(pred.data, this.remap) };
        truth = { ...truth, data: applyRemap(truth.data, this.remap) };
      }
      const counted = annotatedPairs(truth.data, pred.data, this.classes.length);
      notDrawn = counted.notDrawn;
      this.matrix.add(counted.truth, counted.pred); // range-checks both before counting
    } catch (err) {
      throw new Error(`case ${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (input.phase) this.subjectPhases.add(`${subject}\u0000${input.phase}`);
    const scores = this.caseScores({ ...input, pred, truth, subject }, notDrawn);
    this.cases.push(scores);
    return scores;
  }

  private caseScores(input: ScoreCaseInput, notDrawn: ReadonlySet<number>): CaseScores {
    const { pred, truth } = input;
    const dims = truth.dims.slice(0, 3), spacing = truth.spacing.slice(0, 3);
    const voxelMl = voxelVolumeMl(spacing);
    const out: CaseScores = {
      id: input.id, phase: input.phase, subject: input.subject ?? subjectFromId(input.id),
      dice: {}, hd95_mm: {}, assd_mm: {}, volume_ml: {}, volume_ml_gt: {},
    };
    for (let c = 1; c < this.classes.length; c++) {
      const name = this.classes[c];
      if (notDrawn.has(c)) {
        out.dice[name] = out.hd95_mm[name] = out.assd_mm[name] = out.volume_ml_gt[name] = null;
        out.volume_ml[name] = pred.data.reduce((a, v) => a + (v === c ? 1 : 0), 0) * voxelMl;
        (out.unannotated ??= []).push(name);
        continue;
      }
      const s = structureScores(pred.data, truth.data, c, dims, spacing);
      out.dice[name] = num(s.dice);
      out.hd95_mm[name] = num(s.hd95_mm);
      out.assd_mm[name] = num(s.assd_mm);
      out.volume_ml[name] = s.predVoxels * voxelMl;
      out.volume_ml_gt[name] = s.truthVoxels * voxelMl;
    }
    return out;
  }

  result(skipped: { id: string; reason: string }[] = []): ScoreReport {
    const s = summaryScores(this.matrix);
    const per_class: ScoreReport["per_class"] = {};
    this.classes.forEach((name, c) => {
      const p = s.per_class[c];
      per_class[name] = { iou: num(p.iou), dice: num(p.dice), acc: num(p.acc) };
    });
    return {
      classes: [...this.classes],
      overall_acc: num(s.overall_acc), mean_acc: num(s.mean_acc), freqw_iou: num(s.freqw_iou),
      mean_iou: num(s.mean_iou), mean_dice: num(s.mean_dice),
      per_class,
      cases: this.cases,
      summary: caseSummary(this.cases, this.classes.slice(1)),
      clinical: clinicalJson(this.cases),
      skipped,
    };
  }
}

/** Label value -> index in `kept` (dropped structures -> 0 = background); 255 and unknown values unchanged. */
function labelRemap(classes: readonly string[], kept: readonly string[]): Uint8Array {
  const map = Uint8Array.from({ length: 256 }, (_, v) => v);
  classes.forEach((name, v) => { map[v] = Math.max(0, kept.indexOf(name)); });
  return map;
}

function applyRemap(data: Uint8Array, map: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = map[data[i]];
  return out;
}

/**
 * The (truth, prediction) pairs a partially annotated case contributes to the confusion matrix, and
 * its structures not drawn (see the header). Without UNANNOTATED voxels: the arrays as they are.
 */
export function annotatedPairs(truth: Uint8Array, pred: Uint8Array, nClasses: number): { truth: Uint8Array; pred: Uint8Array; notDrawn: Set<number> } {
  if (!truth.includes(UNANNOTATED)) return { truth, pred, notDrawn: new Set() };
  const drawn = new Uint8Array(256);
  for (let i = 0; i < truth.length; i++) drawn[truth[i]] = 1;
  const notDrawn = new Set<number>();
  for (let c = 1; c < nClasses; c++) if (!drawn[c]) notDrawn.add(c);
  const t: number[] = [], p: number[] = [];
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] !== UNANNOTATED) {
      t.push(truth[i]); p.push(pred[i]);
    } else if (pred[i] >= nClasses || (pred[i] > 0 && drawn[pred[i]])) {
      // A drawn structure is drawn completely: predicted here, it is a false positive (and an
      // out-of-range prediction stays in so that the range check names it).
      t.push(0); p.push(pred[i]);
    }
  }
  return { truth: Uint8Array.from(t), pred: Uint8Array.from(p), notDrawn };
}

/** Scores an in-memory list of cases (evaluate's entry point). */
export function scoreCases(pairs: Iterable<ScoreCaseInput>, classes: readonly string[] = ACDC_CLASSES, options: ScoreOptions = {}): ScoreReport {
  const acc = new ScoreAccumulator(classes, options);
  for (const p of pairs) acc.addCase(p);
  return acc.result();
}

function caseSummary(cases: readonly CaseScores[], structures: readonly string[]): ScoreReport["summary"] {
  const groups: Record<string, CaseScores[]> = { all: [...cases] };
  for (const c of cases) if (c.phase) (groups[c.phase] ??= []).push(c);
  const out: ScoreReport["summary"] = {};
  for (const [group, members] of Object.entries(groups)) {
    out[group] = {};
    for (const name of structures) {
      const scored = members.filter((c) => !c.unannotated?.includes(name));
      const dice = scored.map((c) => c.dice[name] ?? NaN);
      const hd = scored.map((c) => c.hd95_mm[name] ?? NaN);
      const assd = scored.map((c) => c.assd_mm[name] ?? NaN);
      out[group][name] = {
        n: members.length,
        dice_mean: num(nanmean(dice)),
        dice_sd: num(sampleSd(dice.filter((d) => !Number.isNaN(d)))),
        hd95_mm_mean: num(nanmean(hd)),
        assd_mm_mean: num(nanmean(assd)),
        n_distance_undefined: hd.filter((d) => Number.isNaN(d)).length,
        n_unannotated: members.length - scored.length,
      };
    }
  }
  return out;
}

function clinicalJson(cases: readonly CaseScores[]): ScoreReport["clinical"] {
  const bySubject = new Map<string, SubjectPhases>();
  for (const c of cases) {
    if (!c.phase) continue;
    let s = bySubject.get(c.subject);
    if (!s) bySubject.set(c.subject, (s = { subject: c.subject, pred: {}, gt: {} }));
    s.pred[c.phase] = definedOnly(c.volume_ml);
    s.gt[c.phase] = definedOnly(c.volume_ml_gt);
  }
  const report = clinicalReport([...bySubject.values()]);
  if (!report) return null;
  const agreement: Record<string, Record<string, Num>> = {};
  for (const [index, a] of Object.entries(report.agreement)) {
    agreement[index] = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, num(v)]));
  }
  return { subjects: report.subjects, agreement };
}

function definedOnly(values: ByStructure): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null) out[k] = v;
  return out;
}

/** Mean foreground Dice of a case (NaN-skipping), used to rank best and worst cases. */
export function caseMeanDice(c: CaseScores): number {
  return nanmean(Object.values(c.dice).map((d) => d ?? NaN));
}
