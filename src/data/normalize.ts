// normalize.ts owns per-slice intensity normalisation: clip to a low/high percentile (default
// 0.5 / 99.5, numpy's linear-interpolation definition) then z-score with the mean and standard
// deviation of the clipped values. Stats are computed once per slice on its original pixels and
// reused by every view of that slice (preprocessing, augmentation), so train and predict agree.
import { percentileSorted } from "../util/stats.js";

export interface IntensityStats {
  /** Clip range (intensity units of the source). */
  readonly lo: number;
  readonly hi: number;
  /** Mean and population standard deviation of the clipped values. */
  readonly mean: number;
  readonly std: number;
}

export interface NormalizeOptions {
  /** Percentiles in [0, 100] (default 0.5 and 99.5). */
  readonly lowPercentile?: number;
  readonly highPercentile?: number;
}

export { percentileSorted } from "../util/stats.js";

/** The default clip percentiles (what training and prediction use; exported models record them). */
export const DEFAULT_LOW_PERCENTILE = 0.5;
export const DEFAULT_HIGH_PERCENTILE = 99.5;

// Below this the slice is flat (e.g. all zeros): dividing would blow up, so the spread is 1.
export const MIN_STD = 1e-6;

export function intensityStats(image: Float32Array, opts: NormalizeOptions = {}): IntensityStats {
  const sorted = Float32Array.from(image).sort();
  if (sorted.length === 0) throw new Error("intensity statistics of an empty image");
  if (!Number.isFinite(sorted[sorted.length - 1] - sorted[0])) {
    throw new Error("image contains NaN or infinite values");
  }
  const lo = percentileSorted(sorted, opts.lowPercentile ?? DEFAULT_LOW_PERCENTILE);
  const hi = Math.max(lo, percentileSorted(sorted, opts.highPercentile ?? DEFAULT_HIGH_PERCENTILE));
  let sum = 0;
  for (let i = 0; i < image.length; i++) sum += clip(image[i], lo, hi);
  const mean = sum / image.length;
  let sq = 0;
  for (let i = 0; i < image.length; i++) {
    const d = clip(image[i], lo, hi) - mean;
    sq += d * d;
  }
  const std = Math.sqrt(sq / image.length);
  return { lo, hi, mean, std: std < MIN_STD ? 1 : std };
}

export function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** The normalised value of a source intensity. */
export function normalizeValue(v: number, s: IntensityStats): number {
  return (clip(v, s.lo, s.hi) - s.mean) / s.std;
}

/** A normalised copy of `image`. */
export function normalize(image: Float32Array, s: IntensityStats): Float32Array {
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = normalizeValue(image[i], s);
  return out;
}
