// slices.ts — taking 2D slices out of volumes (NIfTI order, i fastest) for PNG export and overlays.
import type { ImageVolume } from "./image.js";

/** Number of slices along k (the third dimension). */
export function sliceCount(v: ImageVolume): number {
  return v.dims[2] ?? 1;
}

/** A view of slice k of frame t (no copy): nx*ny values, row j = image row. */
export function sliceOf<T extends ImageVolume>(v: T, k: number, t = 0): T["data"] {
  const [nx, ny, nz = 1] = v.dims;
  if (k < 0 || k >= nz) throw new RangeError(`slice ${k} outside 0..${nz - 1}`);
  const start = (t * nz + k) * nx * ny;
  return v.data.subarray(start, start + nx * ny) as T["data"];
}
