// src/util/array.ts — array helpers that stay safe at any length. `Math.min(...values)` and
// `out.push(...items)` pass every element as a call argument and overflow the stack near 10^5
// elements, so a large input (a million-point contour, a long log) would crash with a message that
// names nothing; these loop instead. Use them wherever the length comes from data.

/** Appends `items` to `out` (a loop: no argument-count limit). */
export function pushAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const item of items) out.push(item);
  return out;
}

/** [min, max] of `values`, skipping NaN; [Infinity, -Infinity] when none. */
export function minMax(values: Iterable<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
