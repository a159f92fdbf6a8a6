// Tests of preprocessSlice / restoreSlice / restoreScores: geometry bookkeeping and exact label
// round trips wherever no information is lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { argmaxChannels, preprocessSlice, restoreScores, restoreSlice, sliceGeometry } from "../../src/data/preprocess.js";

function randomLabels(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) % 4;
  }
  return out;
}

test("geometry of an ACDC-like slice: 216x256 at 1.5625 mm -> 270x320 at 1.25 mm, centre-cropped to 256", () => {
  const g = sliceGeometry(216, 256, [1.5625, 1.5625], { size: { width: 256, height: 256 } });
  assert.equal(g.resampledWidth, 270);
  assert.equal(g.resampledHeight, 320);
  assert.equal(g.offsetX, -7);
  assert.equal(g.offsetY, -32);
  const whole = sliceGeometry(216, 256, [1.5625, 1.5625], { multipleOf: 16 });
  assert.deepEqual([whole.outWidth, whole.outHeight, whole.offsetX, whole.offsetY], [272, 320, 1, 0]);
});

test("2x upsample + pad then restore recovers the labels exactly", () => {
  const w = 13, h = 9, label = randomLabels(w * h, 1);
  const image = Float32Array.from(label, (v) => v * 10);
  const pre = preprocessSlice({ image, width: w, height: h, spacing: [2.5, 2.5], label }, { size: { width: 32, height: 24 } });
  assert.equal(pre.geometry.resampledWidth, 26);
  assert.equal(pre.geometry.offsetX, 3);
  assert.equal(pre.geometry.offsetY, 3);
  assert.equal(pre.label?.[0], 0, "padding is background");
  assert.deepEqual(restoreSlice(pre.label as Uint8Array, pre.geometry), label);
});

test("anisotropic non-integer upsampling (1.5625 x 1.4 mm -> 1.25 mm) restores exactly", () => {
  const w = 40, h = 31, label = randomLabels(w * h, 7);
  const pre = preprocessSlice({ image: new Float32Array(w * h), width: w, height: h, spacing: [1.5625, 1.4], label }, {});
  assert.deepEqual(restoreSlice(pre.label as Uint8Array, pre.geometry), label);
});

test("a centre crop restores the kept window exactly and background where it was cut", () => {
  const w = 20, h = 20, label = randomLabels(w * h, 3);
  const pre = preprocessSlice({ image: new Float32Array(w * h), width: w, height: h, spacing: [1.25, 1.25], label }, { size: { width: 16, height: 12 } });
  assert.deepEqual([pre.geometry.offsetX, pre.geometry.offsetY], [-2, -4]);
  const back = restoreSlice(pre.label as Uint8Array, pre.geometry);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x >= 2 && x < 18 && y >= 4 && y < 16;
      assert.equal(back[y * w + x], inside ? label[y * w + x] : 0, `(${x}, ${y})`);
    }
  }
});

test("padding uses the normalised low clip and the image is normalised", () => {
  const w = 8, h = 8;
  const image = Float32Array.from({ length: w * h }, (_, i) => i);
  const pre = preprocessSlice({ image, width: w, height: h, spacing: [1.25, 1.25] }, { size: { width: 12, height: 12 } });
  const s = pre.stats;
  assert.ok(Math.abs(pre.image[0] - (s.lo - s.mean) / s.std) < 1e-6);
  assert.ok(Math.abs(pre.image[2 * 12 + 2] - (Math.max(0, s.lo) - s.mean) / s.std) < 1e-6);
  assert.equal(pre.label, undefined);
});

test("restoreScores of one-hot scores agrees with restoreSlice when upsampled 2x", () => {
  const w = 10, h = 6, label = randomLabels(w * h, 5);
  const pre = preprocessSlice({ image: new Float32Array(w * h), width: w, height: h, spacing: [2.5, 2.5], label }, { size: { width: 24, height: 16 } });
  const g = pre.geometry, n = g.outWidth * g.outHeight;
  const scores = new Float32Array(4 * n);
  (pre.label as Uint8Array).forEach((v, i) => { scores[v * n + i] = 1; });
  const back = restoreScores(scores, 4, g);
  assert.equal(back.length, 4 * w * h);
  assert.deepEqual(argmaxChannels(back, 4), label);
});

test("mismatched inputs are refused with the sizes in the message", () => {
  assert.throws(() => preprocessSlice({ image: new Float32Array(10), width: 4, height: 4, spacing: [1, 1] }), /expected 4x4/);
  const g = sliceGeometry(4, 4, [1, 1], { size: { width: 8, height: 8 } });
  assert.throws(() => restoreSlice(new Uint8Array(10), g), /expected 8x8/);
  assert.throws(() => sliceGeometry(4, 4, [0, 1]), /spacing/);
});
