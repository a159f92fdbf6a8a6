// Tests of src/data/resample.ts and normalize.ts against hand-computed values (torch's
// interpolate(align_corners=False) convention and numpy's percentile definition).
import { test } from "node:test";
import assert from "node:assert/strict";
import { resampleBilinear, resampleNearest, resampledSize } from "../../src/data/resample.js";
import { intensityStats, normalize, percentileSorted } from "../../src/data/normalize.js";

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
}

test("bilinear 2x2 -> 4x4 upsample matches the hand-computed half-pixel values", () => {
  // Output x coordinates -0.25, 0.25, 0.75, 1.25 clamp to 0, 0.25, 0.75, 1.
  const out = resampleBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4, 0.5, 0.5);
  close(out, [
    0, 0.25, 0.75, 1,
    0.5, 0.75, 1.25, 1.5,
    1.5, 1.75, 2.25, 2.5,
    2, 2.25, 2.75, 3,
  ]);
});

test("spacing 1 mm -> 2 mm averages pixel pairs; 1 -> 1.5 mm lands between centres", () => {
  assert.equal(resampledSize(4, 1, 2), 2);
  close(resampleBilinear(Float32Array.from([0, 10, 20, 30]), 4, 1, 2, 1, 2, 1), [5, 25]);
  // 6 px at 1 mm -> 4 px at 1.5 mm: centres at -0.5+1.5*(u+0.5) = 0.25, 1.75, 3.25, 4.75.
  assert.equal(resampledSize(6, 1, 1.5), 4);
  close(resampleBilinear(Float32Array.from([0, 1, 2, 3, 4, 5]), 6, 1, 4, 1, 1.5, 1), [0.25, 1.75, 3.25, 4.75]);
});

test("bilinear resamples each channel plane independently", () => {
  const src = Float32Array.from([0, 1, 2, 3, 10, 10, 10, 10]);
  const out = resampleBilinear(src, 2, 2, 4, 4, 0.5, 0.5, 2);
  assert.equal(out.length, 32);
  assert.equal(out[5], 0.75);
  assert.ok(out.subarray(16).every((v) => v === 10));
});

test("nearest picks the source pixel containing each output centre", () => {
  const up = resampleNearest(Uint8Array.from([1, 2, 3, 4]), 2, 2, 4, 4, 0.5, 0.5);
  assert.deepEqual([...up], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  // 1 -> 1.5 mm: output centres at 0.25, 1.75, 3.25, 4.75 -> source pixels 0, 2, 3, 5.
  const down = resampleNearest(Uint8Array.from([0, 1, 2, 3, 4, 5]), 6, 1, 4, 1, 1.5, 1);
  assert.deepEqual([...down], [0, 2, 3, 5]);
});

test("percentile follows numpy's linear interpolation", () => {
  const v = Float32Array.from({ length: 200 }, (_, i) => i + 1); // 1..200
  assert.ok(Math.abs(percentileSorted(v, 0.5) - 1.995) < 1e-9);
  assert.ok(Math.abs(percentileSorted(v, 99.5) - 199.005) < 1e-4);
  assert.equal(percentileSorted(v, 50), 100.5);
});

test("normalisation clips at the percentiles, then has mean 0 and std 1", () => {
  const img = Float32Array.from({ length: 1000 }, (_, i) => (i === 3 ? 1e6 : (i * 37) % 101));
  const s = intensityStats(img);
  assert.ok(s.hi < 1e6, "the outlier is clipped");
  const n = normalize(img, s);
  const mean = n.reduce((a, b) => a + b, 0) / n.length;
  const std = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
  assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 1e-4, `std ${std}`);
  assert.ok(Math.abs(Math.max(...n) - (s.hi - s.mean) / s.std) < 1e-6);
});

test("a flat slice normalises to zeros instead of dividing by zero; NaN is refused", () => {
  const s = intensityStats(new Float32Array(16).fill(7));
  assert.equal(s.std, 1);
  assert.ok(normalize(new Float32Array(16).fill(7), s).every((v) => v === 0));
  assert.throws(() => intensityStats(Float32Array.from([1, NaN, 2])), /NaN/);
});
