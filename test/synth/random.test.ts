// Tests of the phantom's randomness: the generator it relies on stays mulberry32 (a change would
// silently change every generated data set), and the table-driven noise is standard normal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Random, fillNormal, inverseNormal } from "../../src/synth/random.js";

test("the phantom's generator is mulberry32: first outputs for seed 1 match the reference", () => {
  // From scripts/fixtures/mulberry32_reference.py.
  const r = new Random(1);
  const ints = Array.from({ length: 3 }, () => Math.round(r.next() * 4294967296));
  assert.deepEqual(ints, [2693262067, 11749833, 2265367787]);
});

test("inverseNormal matches tabulated quantiles and the noise table is standard normal", () => {
  // Standard normal quantiles (scipy.stats.norm.ppf).
  assert.ok(Math.abs(inverseNormal(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(inverseNormal(0.5)) < 1e-12);
  assert.ok(Math.abs(inverseNormal(0.001) + 3.090232306) < 1e-8);
  const noise = new Float32Array(40001);
  fillNormal(new Random(3), noise);
  let sum = 0, sum2 = 0, beyond2 = 0;
  for (const v of noise) {
    sum += v;
    sum2 += v * v;
    if (Math.abs(v) > 1.959963985) beyond2++;
  }
  assert.ok(Math.abs(sum / noise.length) < 0.03);
  assert.ok(Math.abs(sum2 / noise.length - 1) < 0.05);
  assert.ok(Math.abs(beyond2 / noise.length - 0.05) < 0.006, `tail fraction ${beyond2 / noise.length}`);
  assert.ok(Number.isFinite(noise[40000]) && noise[40000] !== 0);
});
