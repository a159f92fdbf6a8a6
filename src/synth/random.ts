// src/synth — the synthetic cardiac cine MRI phantom: an ACDC-like data set generated from a seed,
// so the demo and the tests have realistic scans on a machine without any download.
// random.ts owns the phantom's randomness: every random choice goes through one seeded Random
// (src/util/random.ts) so that one seed always yields byte-identical cases on every platform.

import { Random, deriveSeed } from "../util/random.js";

// The generator itself is the project's (mulberry32 in src/util/random.ts); the phantom adds a
// fast table-driven normal sampler for image noise.
export { Random, deriveSeed };

const NORMAL_TABLE_BITS = 16;
let normalTable: Float32Array | null = null;

/**
 * 65536 standard-normal quantiles (evenly spaced in probability): indexing it with one random
 * integer gives image noise several times faster than Box-Muller, and the discreteness (steps of
 * 1/65536 in probability) is invisible in an MR image.
 */
function normalQuantiles(): Float32Array {
  if (normalTable) return normalTable;
  const n = 1 << NORMAL_TABLE_BITS;
  const table = new Float32Array(n);
  for (let i = 0; i < n; i++) table[i] = inverseNormal((i + 0.5) / n);
  normalTable = table;
  return table;
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Fills `out` with standard-normal noise from `rng` (two values per 32-bit draw). */
export function fillNormal(rng: Random, out: Float32Array): void {
  const table = normalQuantiles();
  for (let i = 0; i < out.length; i += 2) {
    const bits = rng.nextUint32();
    out[i] = table[bits & 0xffff];
    if (i + 1 < out.length) out[i + 1] = table[bits >>> 16];
  }
}
