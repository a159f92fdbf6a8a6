// src/eval/surface.ts — per-structure overlap and surface distances of one case, in mm.
//
// Definitions (MedPy's medpy.metric.binary, which the reference script re-implements):
// - surface voxels: foreground voxels with at least one 6-neighbour that is background or
//   outside the image (binary erosion with the 6-connected structure, border value 0). An axis
//   of size 1 (a single 2D slice) is ignored, so 2D cases get 4-connected contours.
// - directed distances A->B: for every surface voxel of A, the Euclidean distance (mm, using
//   the voxel spacing) to the nearest surface voxel of B, from an exact distance transform.
// - HD95: the 95th percentile (linear interpolation, numpy.percentile's default) of the union of
//   both directed distance sets, as medpy.metric.binary.hd95. (MONAI's compute_hausdorff_distance
//   instead takes the larger of the two directed 95th percentiles; values differ slightly.)
// - ASSD: the mean of the two directed mean distances, as medpy.metric.binary.assd.
// - Empty structures: both empty -> Dice 1, HD95 = ASSD = 0; exactly one empty -> Dice 0 and the
//   distances are NaN (written as null in JSON, counted separately by the score summary).
import { squaredEdt } from "./edt.js";
import { mean, percentile } from "./stats.js";

export interface StructureScores {
  dice: number;
  hd95_mm: number;
  assd_mm: number;
  /** Foreground voxel counts of prediction and truth. */
  predVoxels: number;
  truthVoxels: number;
}

interface Box { lo: number[]; hi: number[] }

/** Overlap and surface distances of label `c` between `pred` and `truth` (same grid). */
export function structureScores(
  pred: Uint8Array, truth: Uint8Array, c: number, dims: readonly number[], spacing: readonly number[],
): StructureScores {
  const [nx, ny, nz] = dims;
  let predVoxels = 0, truthVoxels = 0, both = 0;
  const box: Box = { lo: [nx, ny, nz], hi: [-1, -1, -1] };
  for (let k = 0, v = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        const p = pred[v] === c, t = truth[v] === c;
        if (!p && !t) continue;
        if (p) predVoxels++;
        if (t) truthVoxels++;
        if (p && t) both++;
        growBox(box, i, j, k);
      }
    }
  }
  if (predVoxels === 0 && truthVoxels === 0) return { dice: 1, hd95_mm: 0, assd_mm: 0, predVoxels, truthVoxels };
  const dice = (2 * both) / (predVoxels + truthVoxels);
  if (predVoxels === 0 || truthVoxels === 0) return { dice, hd95_mm: NaN, assd_mm: NaN, predVoxels, truthVoxels };
  const { predToTruth, truthToPred } = surfaceDistances(pred, truth, c, dims, spacing, box);
  const union = new Float64Array(predToTruth.length + truthToPred.length);
  union.set(predToTruth);
  union.set(truthToPred, predToTruth.length);
  return {
    dice,
    hd95_mm: percentile(union, 95),
    assd_mm: (mean(predToTruth) + mean(truthToPred)) / 2,
    predVoxels,
    truthVoxels,
  };
}

function growBox(box: Box, i: number, j: number, k: number): void {
  const idx = [i, j, k];
  for (let a = 0; a < 3; a++) {
    if (idx[a] < box.lo[a]) box.lo[a] = idx[a];
    if (idx[a] > box.hi[a]) box.hi[a] = idx[a];
  }
}

/**
 * Directed surface distances, computed inside the bounding box of both masks: every surface
 * voxel lies in it, so the exact distance transform restricted to the box gives the same values
 * as over the full grid, at a fraction of the cost.
 */
export function surfaceDistances(
  pred: Uint8Array, truth: Uint8Array, c: number, dims: readonly number[], spacing: readonly number[], box: Box,
): { predToTruth: Float64Array; truthToPred: Float64Array } {
  const bdims = [0, 1, 2].map((a) => box.hi[a] - box.lo[a] + 1);
  const predMask = cropMask(pred, c, dims, box);
  const truthMask = cropMask(truth, c, dims, box);
  // A voxel just beyond the box is either off the image or outside both masks: background
  // either way, so testing the box edge gives the same surface as testing the full grid.
  const predSurf = surfaceOf(predMask, bdims, dims);
  const truthSurf = surfaceOf(truthMask, bdims, dims);
  return {
    predToTruth: sampleDistances(squaredEdt(truthSurf, bdims, spacing), predSurf),
    truthToPred: sampleDistances(squaredEdt(predSurf, bdims, spacing), truthSurf),
  };
}

function cropMask(labels: Uint8Array, c: number, dims: readonly number[], box: Box): Uint8Array {
  const [nx, ny] = dims;
  const [bx, by, bz] = [0, 1, 2].map((a) => box.hi[a] - box.lo[a] + 1);
  const out = new Uint8Array(bx * by * bz);
  for (let k = 0, o = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      const src = ((k + box.lo[2]) * ny + (j + box.lo[1])) * nx + box.lo[0];
      for (let i = 0; i < bx; i++, o++) out[o] = labels[src + i] === c ? 1 : 0;
    }
  }
  return out;
}

/** 1 where a mask voxel has a 6-neighbour that is background or off the grid (size-1 axes ignored). */
export function surfaceOf(mask: Uint8Array, bdims: readonly number[], fullDims: readonly number[]): Uint8Array {
  const [bx, by, bz] = bdims;
  const useAxis = fullDims.slice(0, 3).map((n) => n > 1);
  const surf = new Uint8Array(mask.length);
  const strides = [1, bx, bx * by];
  for (let k = 0, v = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      for (let i = 0; i < bx; i++, v++) {
        if (!mask[v]) continue;
        const idx = [i, j, k];
        for (let a = 0; a < 3 && !surf[v]; a++) {
          if (!useAxis[a]) continue;
          const atLow = idx[a] === 0, atHigh = idx[a] === bdims[a] - 1;
          if (atLow || atHigh || !mask[v - strides[a]] || !mask[v + strides[a]]) surf[v] = 1;
        }
      }
    }
  }
  return surf;
}

function sampleDistances(squared: Float64Array, at: Uint8Array): Float64Array {
  let n = 0;
  for (let v = 0; v < at.length; v++) if (at[v]) n++;
  const out = new Float64Array(n);
  for (let v = 0, o = 0; v < at.length; v++) if (at[v]) out[o++] = Math.sqrt(squared[v]);
  return out;
}
