// src/eval/stats.ts — the few statistics the metrics need, with NumPy's conventions so that
// values match the reference script (nanmean, linear-interpolated percentile, sample SD).

/** Mean of the finite-or-infinite non-NaN values; NaN when there are none (numpy.nanmean). */
export function nanmean(values: readonly number[]): number {
  let sum = 0, n = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) { sum += v; n++; }
  }
  return n > 0 ? sum / n : NaN;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Sample standard deviation (n - 1 denominator); NaN below two values. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (values.length - 1));
}

export { percentile } from "../util/stats.js";

/** Pearson correlation; NaN below two pairs or when either side is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error("pearson: inputs differ in length");
  if (x.length < 2) return NaN;
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

export interface Agreement {
  n: number;
  pearson_r: number;
  /** Mean of (prediction - truth). */
  bias: number;
  /** Sample SD of the differences. */
  sd: number;
  /** Bland-Altman limits of agreement: bias -/+ 1.96 SD. */
  loa_low: number;
  loa_high: number;
}

/** Correlation and Bland-Altman agreement of predicted against true values. */
export function agreement(pred: readonly number[], truth: readonly number[]): Agreement {
  const diff = pred.map((p, i) => p - truth[i]);
  const bias = diff.length > 0 ? mean(diff) : NaN;
  const sd = sampleSd(diff);
  return { n: pred.length, pearson_r: pearson(pred, truth), bias, sd, loa_low: bias - 1.96 * sd, loa_high: bias + 1.96 * sd };
}
