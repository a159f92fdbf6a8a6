// validate.ts owns scoring the model on validation batches: argmax predictions pooled into src/eval's
// confusion matrix, summarised with deeplab-pytorch's scores (overall acc, mean IoU, mean Dice, per class).
import { ConfusionMatrix, summaryScores, type SummaryScores } from "../eval/confusion.js";
import type { DeepLabV3 } from "../models/index.js";
import type { Batch } from "../data/types.js";
import { fromTypedArray, noGrad, tidy, type DeviceLike } from "../tensor/index.js";
import type { ValLine } from "./metrics-log.js";

export interface ValidationSource {
  /** Batches of whole validation slices (labels equal to ignoreIndex are not scored). */
  batches(): Iterable<Batch> | AsyncIterable<Batch>;
}

/** Predicted labels [B,H,W] of one batch (eval mode, no grad). */
export function predictBatch(model: DeepLabV3, batch: Batch, device: DeviceLike): Uint8Array {
  return noGrad(() => tidy(() => {
    const x = fromTypedArray(batch.images, [batch.batchSize, 1, batch.height, batch.width]).to(device);
    const pred = model.forward(x).out.argmax(1).to({ dtype: "uint8", device: "cpu" });
    return pred.toArray() as Uint8Array;
  }));
}

/**
 * Scores `model` on `source`. `merge` (a distributed run) turns this process's confusion counts
 * into the sum over every process before the scores are computed.
 */
export async function validate(model: DeepLabV3, source: ValidationSource, numClasses: number, ignoreIndex: number,
  device: DeviceLike, merge?: (cm: ConfusionMatrix) => void): Promise<SummaryScores> {
  const wasTraining = model.training;
  model.eval();
  const cm = new ConfusionMatrix(numClasses);
  try {
    for await (const batch of source.batches()) {
      const pred = predictBatch(model, batch, device);
      addCounted(cm, batch.labels, pred, ignoreIndex);
    }
  } finally {
    model.train(wasTraining);
  }
  merge?.(cm);
  return summaryScores(cm);
}

function addCounted(cm: ConfusionMatrix, truth: Uint8Array, pred: Uint8Array, ignoreIndex: number): void {
  let keep = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] !== ignoreIndex) keep++;
  if (keep === truth.length) return cm.add(truth, pred);
  const t = new Uint8Array(keep), p = new Uint8Array(keep);
  for (let i = 0, j = 0; i < truth.length; i++) {
    if (truth[i] !== ignoreIndex) { t[j] = truth[i]; p[j++] = pred[i]; }
  }
  cm.add(t, p);
}

export function valLine(iter: number, s: SummaryScores, classNames: readonly string[]): ValLine {
  const per_class: ValLine["val"]["per_class"] = {};
  s.per_class.forEach((c, i) => { per_class[classNames[i] ?? `class${i}`] = { dice: c.dice, iou: c.iou }; });
  return { iter, val: { mean_dice: s.mean_dice, mean_iou: s.mean_iou, overall_acc: s.overall_acc, per_class } };
}

/** Mean Dice over the foreground classes (the model-selection criterion; background Dice is ~1 always). */
export function foregroundMeanDice(s: SummaryScores): number {
  const fg = s.per_class.slice(1).map((c) => c.dice).filter((d) => Number.isFinite(d));
  return fg.length > 0 ? fg.reduce((a, b) => a + b, 0) / fg.length : NaN;
}
