// validation.ts owns the validation stream: every validation slice once, in a fixed order, with
// the deterministic preprocessing of preprocess.ts (no augmentation) and what evaluation needs to
// score a prediction on the original grid (geometry for restoreSlice, task labels there too).
import { preprocessSlice, type PreprocessOptions, type SliceGeometry } from "./preprocess.js";
import { applyTask } from "./tasks.js";
import { sliceId, type Batch, type Slice2D, type SliceProvenance, type TaskSpec } from "./types.js";

export interface ValidationOptions extends PreprocessOptions {
  readonly task: TaskSpec;
  /** Slices per batch (default 1); forced to 1 without `size` (whole slices differ in size). */
  readonly batchSize?: number;
}

export interface ValidationBatch extends Batch {
  readonly geometries: readonly SliceGeometry[];
  readonly provenance: readonly SliceProvenance[];
  /** Task labels on each slice's original grid (compare with restoreSlice(prediction)). */
  readonly originalLabels: readonly Uint8Array[];
}

export function* validationBatches(slices: readonly Slice2D[], opts: ValidationOptions): Generator<ValidationBatch> {
  const B = opts.size ? Math.max(1, Math.floor(opts.batchSize ?? 1)) : 1;
  for (let start = 0; start < slices.length; start += B) {
    const part = slices.slice(start, start + B);
    const done = part.map((s) => {
      const p = s.provenance;
      const original = applyTask(s.label, s.width, s.height, p.spacing, opts.task);
      return { pre: preprocessSlice({ image: s.image, width: s.width, height: s.height, spacing: p.spacing, label: original }, opts), original, p };
    });
    const { outWidth: W, outHeight: H } = done[0].pre.geometry;
    const images = new Float32Array(part.length * W * H), labels = new Uint8Array(part.length * W * H);
    done.forEach((d, b) => {
      images.set(d.pre.image, b * W * H);
      labels.set(d.pre.label as Uint8Array, b * W * H);
    });
    yield {
      images, labels, batchSize: part.length, height: H, width: W,
      ids: done.map((d) => sliceId(d.p)),
      geometries: done.map((d) => d.pre.geometry),
      provenance: done.map((d) => d.p),
      originalLabels: done.map((d) => d.original),
    };
  }
}

/** Number of batches validationBatches will yield. */
export function validationBatchCount(numSlices: number, opts: ValidationOptions): number {
  const B = opts.size ? Math.max(1, Math.floor(opts.batchSize ?? 1)) : 1;
  return Math.ceil(numSlices / B);
}
