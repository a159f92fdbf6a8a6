// store.ts owns the training slice store: slices with their task labels and intensity stats,
// packed into SharedArrayBuffers so the prefetch worker reads the same memory as the main thread
// (no copy of the data set per thread), and unpacked into TrainSlice views on either side.
import type { TrainSlice } from "./augment.js";
import { intensityStats, type IntensityStats, type NormalizeOptions } from "./normalize.js";
import { applyTask } from "./tasks.js";
import { sliceId, type Slice2D, type TaskSpec } from "./types.js";

export interface PackedSliceMeta {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly spacing: readonly [number, number];
  readonly stats: IntensityStats;
  /** Pixel offset of the slice in the image and label buffers. */
  readonly offset: number;
}

/** Structured-clone friendly: the buffers are shared, the metadata is copied. */
export interface PackedSlices {
  readonly images: SharedArrayBuffer;
  readonly labels: SharedArrayBuffer;
  readonly meta: readonly PackedSliceMeta[];
}

/** Task labels and intensity stats for each slice (labels stay on the original grid). */
export function prepareTrainSlices(slices: readonly Slice2D[], task: TaskSpec, norm: NormalizeOptions = {}): TrainSlice[] {
  return slices.map((s) => {
    const p = s.provenance;
    let stats: IntensityStats;
    try {
      stats = intensityStats(s.image, norm);
    } catch (err) {
      throw new Error(`${p.imageFile}: slice ${p.sliceIndex}: ${(err as Error).message}`);
    }
    return {
      id: sliceId(p), image: s.image, width: s.width, height: s.height, spacing: p.spacing, stats,
      label: applyTask(s.label, s.width, s.height, p.spacing, task),
    };
  });
}

export function packSlices(slices: readonly TrainSlice[]): PackedSlices {
  const total = slices.reduce((n, s) => n + s.width * s.height, 0);
  const images = new SharedArrayBuffer(total * 4), labels = new SharedArrayBuffer(total);
  const img = new Float32Array(images), lab = new Uint8Array(labels);
  const meta: PackedSliceMeta[] = [];
  let offset = 0;
  for (const s of slices) {
    const n = s.width * s.height;
    img.set(s.image, offset);
    lab.set(s.label, offset);
    meta.push({ id: s.id, width: s.width, height: s.height, spacing: [s.spacing[0], s.spacing[1]], stats: s.stats, offset });
    offset += n;
  }
  return { images, labels, meta };
}

export function unpackSlices(p: PackedSlices): TrainSlice[] {
  return p.meta.map((m) => {
    const n = m.width * m.height;
    return {
      id: m.id, width: m.width, height: m.height, spacing: m.spacing, stats: m.stats,
      image: new Float32Array(p.images, m.offset * 4, n),
      label: new Uint8Array(p.labels, m.offset, n),
    };
  });
}
