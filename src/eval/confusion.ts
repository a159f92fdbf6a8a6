// src/eval — segmentation metrics on plain typed arrays (no engine, no model): the pooled
// confusion matrix and its summary scores, per-case overlap and surface distances, clinical
// indices, and the assembly of the stable score JSON that `score`, `evaluate` and `report` share.
//
// confusion.ts owns the confusion matrix pooled over a data set and deeplab-pytorch's summary
// scores computed from it (Overall Acc, Mean Acc, Mean IoU, frequency-weighted IoU, Dice).
import { nanmean } from "./stats.js";

/** A square matrix of voxel counts: rows are the truth class, columns the predicted class. */
export class ConfusionMatrix {
  readonly nClasses: number;
  /** Row-major counts, nClasses x nClasses. Float64 because uint32 would overflow on big data sets. */
  readonly counts: Float64Array;

  constructor(nClasses: number) {
    if (!Number.isInteger(nClasses) || nClasses < 1 || nClasses > 256) {
      throw new Error(`ConfusionMatrix: class count must be an integer in 1..256, got ${nClasses}`);
    }
    this.nClasses = nClasses;
    this.counts = new Float64Array(nClasses * nClasses);
  }

  /** Counts every voxel pair; throws (before counting anything) on a label outside 0..nClasses-1. */
  add(truth: ArrayLike<number>, pred: ArrayLike<number>): void {
    if (truth.length !== pred.length) {
      throw new Error(`ConfusionMatrix.add: truth has ${truth.length} voxels, prediction ${pred.length}`);
    }
    checkLabelRange(truth, this.nClasses, "truth");
    checkLabelRange(pred, this.nClasses, "prediction");
    const n = this.nClasses;
    // Counting into a uint32 histogram first is several times faster than float increments.
    const hist = new Uint32Array(n * n);
    for (let v = 0; v < truth.length; v++) hist[truth[v] * n + pred[v]]++;
    for (let i = 0; i < hist.length; i++) this.counts[i] += hist[i];
  }

  /** Adds another matrix's counts (e.g. from another worker). */
  merge(other: ConfusionMatrix): void {
    if (other.nClasses !== this.nClasses) throw new Error("ConfusionMatrix.merge: class counts differ");
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
  }

  at(truth: number, pred: number): number {
    return this.counts[truth * this.nClasses + pred];
  }

  static fromCounts(rows: readonly (readonly number[])[]): ConfusionMatrix {
    const m = new ConfusionMatrix(rows.length);
    rows.forEach((row, r) => {
      if (row.length !== rows.length) throw new Error("ConfusionMatrix.fromCounts: matrix must be square");
      row.forEach((v, c) => { m.counts[r * rows.length + c] = v; });
    });
    return m;
  }
}

/** Throws on a value that is not an integer in [0, nClasses). */
export function checkLabelRange(labels: ArrayLike<number>, nClasses: number, what: string): void {
  for (let v = 0; v < labels.length; v++) {
    const x = labels[v];
    if (!(x >= 0 && x < nClasses && Number.isInteger(x))) {
      throw new Error(`${what}: label ${x} at voxel ${v} is outside the class list 0..${nClasses - 1}`);
    }
  }
}

export interface PerClassScores { iou: number; dice: number; acc: number }

export interface SummaryScores {
  overall_acc: number;
  mean_acc: number;
  /** deeplab-pytorch calls this "FreqW Acc"; it is the frequency-weighted IoU. */
  freqw_iou: number;
  mean_iou: number;
  mean_dice: number;
  /** NaN where a class is absent from both truth and prediction (0/0). */
  per_class: PerClassScores[];
}

/**
 * deeplab-pytorch's scores (libs/utils/metric.py) from a pooled matrix. Classes never seen in the
 * truth give NaN accuracy, classes absent from both sides give NaN IoU/Dice; means skip NaN.
 */
export function summaryScores(m: ConfusionMatrix): SummaryScores {
  const n = m.nClasses;
  const row = new Float64Array(n), col = new Float64Array(n), diag = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = m.at(r, c);
      row[r] += v; col[c] += v; total += v;
    }
    diag[r] = m.at(r, r);
  }
  const per_class: PerClassScores[] = [];
  let freqw = 0, diagSum = 0;
  for (let c = 0; c < n; c++) {
    const iou = diag[c] / (row[c] + col[c] - diag[c]);
    per_class.push({ iou, dice: (2 * diag[c]) / (row[c] + col[c]), acc: diag[c] / row[c] });
    const freq = row[c] / total;
    if (freq > 0) freqw += freq * iou;
    diagSum += diag[c];
  }
  return {
    overall_acc: diagSum / total,
    mean_acc: nanmean(per_class.map((p) => p.acc)),
    freqw_iou: total > 0 ? freqw : NaN,
    mean_iou: nanmean(per_class.map((p) => p.iou)),
    mean_dice: nanmean(per_class.map((p) => p.dice)),
    per_class,
  };
}
