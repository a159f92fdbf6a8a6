// src/util/stats.ts — percentiles with numpy.percentile's default (linear) method, for every layer
// that needs them (intensity windows, normalisation, HD95, phantom statistics).

/** q-th percentile (0..100, clamped) of an ascending-sorted array; NaN when it is empty. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (n - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1);
  const t = pos - lo, a = sorted[lo], b = sorted[hi];
  // NumPy's _lerp: interpolate from the nearer end, so results match it to the last bit.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** q-th percentile (0..100) of `values` (sorts a copy); NaN when empty. */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentileSorted(Float64Array.from(values).sort(), q);
}
