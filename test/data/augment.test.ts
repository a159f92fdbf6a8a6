// Tests of the fused augmentation warp: identity and mirror warps reproduce the slice exactly,
// draws are deterministic for a seed, and labels stay aligned with the image under random
// scale/rotation/flip/jitter/elastic/crop (an image whose value equals its label).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/util/random.js";
import { IDENTITY_WARP, renderSample, sampleWarp, type AugmentOptions, type TrainSlice } from "../../src/data/augment.js";
import { intensityStats, normalize } from "../../src/data/normalize.js";

function makeSlice(w: number, h: number, valueIsLabel: boolean): TrainSlice {
  const label = new Uint8Array(w * h), image = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - w * 0.45, y - h * 0.5);
      // Concentric regions plus an off-centre blob so flips and rotations change the picture.
      let v = r < 8 ? 3 : r < 14 ? 2 : r < 20 ? 1 : 0;
      if (Math.hypot(x - w * 0.8, y - h * 0.25) < 5) v = 3;
      label[y * w + x] = v;
      image[y * w + x] = valueIsLabel ? v : v * 50 + ((x * 7 + y * 13) % 11);
    }
  }
  const stats = valueIsLabel ? { lo: 0, hi: 3, mean: 0, std: 1 } : intensityStats(image);
  return { id: "t", image, label, width: w, height: h, spacing: [1.25, 1.25], stats };
}

test("the identity warp at the slice's own spacing and size reproduces the normalised slice", () => {
  const s = makeSlice(48, 40, false);
  const img = new Float32Array(48 * 40), lab = new Uint8Array(48 * 40);
  renderSample(s, IDENTITY_WARP, { width: 48, height: 40, spacing: 1.25 }, img, lab, 0);
  const expected = normalize(s.image, s.stats);
  for (let i = 0; i < img.length; i++) assert.ok(Math.abs(img[i] - expected[i]) < 1e-5, `pixel ${i}`);
  assert.deepEqual(lab, s.label);
});

test("a mirror warp flips image and label exactly; a larger canvas pads with air and background", () => {
  const s = makeSlice(48, 40, true);
  const img = new Float32Array(48 * 40), lab = new Uint8Array(48 * 40);
  renderSample(s, { ...IDENTITY_WARP, inverse: [-1, 0, 0, 1] }, { width: 48, height: 40, spacing: 1.25 }, img, lab, 0);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 48; x++) assert.equal(lab[y * 48 + x], s.label[y * 48 + 47 - x]);
  const big = new Float32Array(64 * 64), bigLab = new Uint8Array(64 * 64).fill(9);
  renderSample(s, IDENTITY_WARP, { width: 64, height: 64, spacing: 1.25 }, big, bigLab, 0);
  assert.equal(bigLab[0], 0);
  assert.equal(big[0], 0, "air = normalised low clip (0 here)");
  assert.equal(bigLab[12 * 64 + 8 + 20], s.label[20]);
});

const FULL: AugmentOptions = {
  elastic: { probability: 1, gridSize: 5, sigmaMm: 3 }, gamma: { probability: 0 }, noise: { probability: 0 },
};

test("the same seed gives the same sample; another seed a different one", () => {
  const s = makeSlice(64, 64, false);
  const render = (seed: number): [Float32Array, Uint8Array] => {
    const rng = new Random(seed), t = { width: 48, height: 48, spacing: 1.25 };
    const img = new Float32Array(48 * 48), lab = new Uint8Array(48 * 48);
    renderSample(s, sampleWarp(s, t, { ...FULL, noise: { probability: 1 }, gamma: { probability: 1 } }, rng), t, img, lab, 0, rng);
    return [img, lab];
  };
  const [a1, l1] = render(42), [a2, l2] = render(42), [b1] = render(43);
  assert.deepEqual(a1, a2);
  assert.deepEqual(l1, l2);
  assert.notDeepEqual(a1, b1);
});

test("labels stay aligned with the image under random geometric augmentation", () => {
  const s = makeSlice(64, 64, true);
  const W = 56, t = { width: W, height: W, spacing: 1.1 };
  let changed = 0;
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Random(seed);
    const img = new Float32Array(W * W), lab = new Uint8Array(W * W);
    renderSample(s, sampleWarp(s, t, FULL, rng), t, img, lab, 0, rng);
    let agree = 0;
    // Aligned labels agree on >98% of pixels here; a half-pixel shift drops that to ~93%.
    // The outermost ring is skipped: its neighbourhood (and maybe the boundary) lies off-canvas.
    for (let y = 1; y < W - 1; y++) {
      for (let x = 1; x < W - 1; x++) {
        const i = y * W + x;
        if (Math.round(img[i]) === lab[i]) { agree++; continue; }
        // Disagreement is only allowed on a label boundary (bilinear blends across it).
        let mixed = false;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          if (lab[(y + dy) * W + x + dx] !== lab[i]) mixed = true;
        }
        assert.ok(mixed, `seed ${seed}: pixel (${x}, ${y}) label ${lab[i]} vs image ${img[i]} away from any boundary`);
      }
    }
    assert.ok(agree / ((W - 2) * (W - 2)) > 0.97, `seed ${seed}: only ${agree} agreeing pixels`);
    const plain = new Uint8Array(W * W);
    renderSample(s, IDENTITY_WARP, t, new Float32Array(W * W), plain, 0);
    if (lab.some((v, i) => v !== plain[i])) changed++;
  }
  assert.ok(changed >= 18, "augmentation changes the picture");
});

test("gamma acts on intensities mapped to [0, 1] between the clip values", () => {
  const s = makeSlice(32, 32, true); // lo 0, hi 3, mean 0, std 1: normalised value = source value
  const rng = new Random(1), t = { width: 32, height: 32, spacing: 1.25 };
  const p = { ...IDENTITY_WARP, gamma: 2 };
  const img = new Float32Array(32 * 32);
  renderSample(s, p, t, img, new Uint8Array(32 * 32), 0, rng);
  for (let i = 0; i < img.length; i++) assert.ok(Math.abs(img[i] - 3 * (s.image[i] / 3) ** 2) < 1e-5);
  // A continuous ramp with gamma 0.7 (steepest near 0): within 1e-3 of the clip range everywhere.
  const ramp: TrainSlice = { ...s, image: Float32Array.from({ length: 32 * 32 }, (_, i) => (3 * i) / (32 * 32 - 1)) };
  renderSample(ramp, { ...IDENTITY_WARP, gamma: 0.7 }, t, img, new Uint8Array(32 * 32), 0, rng);
  for (let i = 0; i < img.length; i++) assert.ok(Math.abs(img[i] - 3 * (ramp.image[i] / 3) ** 0.7) < 3e-3, `pixel ${i}`);
});
