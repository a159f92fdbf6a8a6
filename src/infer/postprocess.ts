// src/infer — inference with a trained model on data it has not seen: `cardioseg predict` (label
// maps in the input's own geometry, in clinical formats), `cardioseg evaluate` (predict a data set,
// then score it with src/eval) and `cardioseg demo` (the whole job end to end).
//
// postprocess.ts owns clean-up of predicted label maps: per structure, keep only the largest 3D
// connected component. A 2D network sees one slice at a time, so stray blobs far from the heart are
// its typical mistake; one heart has one LV, one RV and one myocardium (nnU-Net does the same).
// Removed voxels become background. Connectivity is face (6) by default, as scipy.ndimage.label's.
import type { LabelVolume } from "../io/image.js";

export type Connectivity = 6 | 18 | 26;

export interface LccOptions {
  /** Classes to clean; default every class present except 0 (background). */
  classes?: readonly number[];
  connectivity?: Connectivity;
}

export interface LccResult {
  labels: LabelVolume;
  /** Voxels set to background, per class value. */
  removed: Record<number, number>;
}

/** Neighbour offsets [di, dj, dk] for a 3D connectivity (face, face+edge, or all 26). */
export function neighbourOffsets(connectivity: Connectivity): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let dk = -1; dk <= 1; dk++) {
    for (let dj = -1; dj <= 1; dj++) {
      for (let di = -1; di <= 1; di++) {
        const steps = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
        if (steps === 0) continue;
        if (connectivity === 6 && steps > 1) continue;
        if (connectivity === 18 && steps > 2) continue;
        out.push([di, dj, dk]);
      }
    }
  }
  return out;
}

/**
 * Component id (1, 2, …) of every voxel equal to `value` (0 elsewhere) and each component's size
 * (sizes[id]). Breadth-first flood fill with an explicit queue, so large volumes cannot overflow
 * the stack.
 */
export function labelComponents(
  data: Uint8Array, dims: readonly number[], value: number, connectivity: Connectivity = 6,
): { ids: Int32Array; sizes: number[] } {
  const [nx, ny, nz = 1] = dims;
  const plane = nx * ny;
  const ids = new Int32Array(data.length);
  const sizes = [0];
  const queue = new Int32Array(data.length);
  const offsets = neighbourOffsets(connectivity);
  for (let seed = 0; seed < data.length; seed++) {
    if (data[seed] !== value || ids[seed] !== 0) continue;
    const id = sizes.length;
    let head = 0, tail = 0;
    queue[tail++] = seed;
    ids[seed] = id;
    while (head < tail) {
      const v = queue[head++];
      const k = Math.floor(v / plane), j = Math.floor((v - k * plane) / nx), i = v - k * plane - j * nx;
      for (const [di, dj, dk] of offsets) {
        const a = i + di, b = j + dj, c = k + dk;
        if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz) continue;
        const w = a + nx * (b + ny * c);
        if (data[w] === value && ids[w] === 0) {
          ids[w] = id;
          queue[tail++] = w;
        }
      }
    }
    sizes.push(tail);
  }
  return { ids, sizes };
}

/**
 * A copy of `labels` where each cleaned class keeps only its largest connected component (on a tie,
 * the one met first in voxel order); the rest of that class becomes background.
 */
export function keepLargestComponents(labels: LabelVolume, o: LccOptions = {}): LccResult {
  const dims = labels.dims.slice(0, 3);
  if (dims.reduce((a, b) => a * b, 1) !== labels.data.length) {
    throw new Error(`largest-component clean-up: label data has ${labels.data.length} voxels for dims ${labels.dims.join("x")}`);
  }
  const data = labels.data.slice();
  const classes = o.classes ?? presentClasses(data).filter((c) => c !== 0);
  const removed: Record<number, number> = {};
  for (const value of classes) {
    const { ids, sizes } = labelComponents(data, dims, value, o.connectivity ?? 6);
    let keep = 0;
    for (let id = 1; id < sizes.length; id++) if (sizes[id] > sizes[keep]) keep = id;
    let n = 0;
    for (let v = 0; v < data.length; v++) {
      if (ids[v] !== 0 && ids[v] !== keep) {
        data[v] = 0;
        n++;
      }
    }
    removed[value] = n;
  }
  return { labels: { ...labels, data }, removed };
}

function presentClasses(data: Uint8Array): number[] {
  const seen = new Uint8Array(256);
  for (let v = 0; v < data.length; v++) seen[data[v]] = 1;
  const out: number[] = [];
  seen.forEach((s, c) => { if (s) out.push(c); });
  return out;
}
