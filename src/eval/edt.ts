// src/eval/edt.ts — exact Euclidean distance transform with anisotropic voxel spacing.
// Felzenszwalb & Huttenlocher's separable algorithm ("Distance Transforms of Sampled Functions",
// 2012): one lower-envelope-of-parabolas pass per axis, O(n) per line, so O(N) for the volume
// and exact (not a chamfer approximation). Squared distances in mm^2 are carried between passes.

/**
 * Squared distance (mm^2) from every voxel of a [nx, ny, nz] grid to the nearest voxel where
 * `feature` is non-zero; Infinity everywhere when there is no feature voxel.
 */
export function squaredEdt(feature: Uint8Array, dims: readonly number[], spacing: readonly number[]): Float64Array {
  const [nx, ny, nz] = dims;
  if (feature.length !== nx * ny * nz) throw new Error(`squaredEdt: ${feature.length} voxels for dims ${dims.join("x")}`);
  const d = new Float64Array(feature.length);
  for (let v = 0; v < feature.length; v++) d[v] = feature[v] ? 0 : Infinity;
  const lineMax = Math.max(nx, ny, nz);
  const work = new LineWork(lineMax);
  // Axis x: stride 1; axis y: stride nx; axis z: stride nx*ny.
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) work.transform(d, (k * ny + j) * nx, 1, nx, spacing[0]);
  for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) work.transform(d, k * nx * ny + i, nx, ny, spacing[1]);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) work.transform(d, j * nx + i, nx * ny, nz, spacing[2]);
  return d;
}

/** Scratch buffers for one line, reused across all lines of the volume. */
class LineWork {
  private readonly f: Float64Array;
  private readonly out: Float64Array;
  /** Sample indices of the parabolas on the lower envelope. */
  private readonly v: Int32Array;
  /** Boundaries (mm) between consecutive envelope parabolas. */
  private readonly z: Float64Array;

  constructor(n: number) {
    this.f = new Float64Array(n);
    this.out = new Float64Array(n);
    this.v = new Int32Array(n);
    this.z = new Float64Array(n + 1);
  }

  /** In-place 1D pass over `n` samples of `d` starting at `start` with `stride`, sample pitch `w` mm. */
  transform(d: Float64Array, start: number, stride: number, n: number, w: number): void {
    const { f, out, v, z } = this;
    for (let q = 0; q < n; q++) f[q] = d[start + q * stride];
    // Build the lower envelope from finite samples only; Infinity parabolas never win and
    // would produce Inf - Inf = NaN in the intersection formula.
    let k = -1;
    for (let q = 0; q < n; q++) {
      if (f[q] === Infinity) continue;
      const xq = q * w, hq = f[q] + xq * xq;
      let s = -Infinity;
      while (k >= 0) {
        const xv = v[k] * w;
        s = (hq - (f[v[k]] + xv * xv)) / (2 * (xq - xv));
        if (s > z[k]) break;
        k--;
      }
      k++;
      v[k] = q;
      z[k] = k === 0 ? -Infinity : s;
      z[k + 1] = Infinity;
    }
    if (k < 0) return; // no finite sample: the line stays Infinity
    let e = 0;
    for (let q = 0; q < n; q++) {
      const x = q * w;
      while (z[e + 1] < x) e++;
      const dx = x - v[e] * w;
      out[q] = dx * dx + f[v[e]];
    }
    for (let q = 0; q < n; q++) d[start + q * stride] = out[q];
  }
}
