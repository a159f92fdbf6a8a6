// Tests of augment.ts (engine-free): the draws are a pure function of the sample seed with one
// stream per transform, the geometry's 2x3 matrix and crop are what hand computation gives, every
// draw's reach fits the loader's fixed canvas, and impossible options are refused by name.
// (Rendering on libtorch is tested in test/train/augment.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  canvasSize, drawSample, IDENTITY_DRAW, resolveAugment, sampleGeometry, type TrainSlice,
} from "../../src/data/augment.js";
import { Random } from "../../src/util/random.js";

const SLICE = { width: 216, height: 256, spacing: [1.5625, 1.5625] as [number, number] };
const TARGET = { width: 160, height: 160, spacing: 1.25 };

test("draws are a pure function of the seed; switching one transform leaves the others' draws alone", () => {
  const all = resolveAugment({ elastic: { probability: 1 }, brightness: { probability: 1 }, blur: { probability: 1 } });
  const a = drawSample(SLICE, TARGET, all, 1234), b = drawSample(SLICE, TARGET, all, 1234), c = drawSample(SLICE, TARGET, all, 1235);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.inverse, c.inverse);
  const noBrightness = drawSample(SLICE, TARGET, { ...all, brightness: { ...all.brightness, probability: 0 } }, 1234);
  assert.equal(noBrightness.brightness, 1);
  assert.notEqual(a.brightness, 1);
  assert.deepEqual({ ...noBrightness, brightness: a.brightness }, a);
  assert.deepEqual(drawSample(SLICE, TARGET, resolveAugment(false), 99), IDENTITY_DRAW);
});

test("probabilities and ranges are honoured over many draws", () => {
  const cfg = resolveAugment({ rotation: { probability: 0.2, maxDeg: 30 }, scale: { probability: 1, range: [0.7, 1.4] }, contrast: { probability: 0.5 } });
  let rotated = 0, contrasted = 0;
  for (let i = 0; i < 2000; i++) {
    const d = drawSample(SLICE, TARGET, { ...cfg, affineJitter: { probability: 0, max: 0 }, mirror: { x: 0, y: 0 } }, i);
    const [l00, l01, l10, l11] = d.inverse;
    const zoom = 1 / Math.sqrt(l00 * l11 - l01 * l10);
    assert.ok(zoom >= 0.7 - 1e-9 && zoom <= 1.4 + 1e-9, `zoom ${zoom}`);
    const angle = Math.abs(Math.atan2(l10, l00)) * 180 / Math.PI;
    assert.ok(angle <= 30 + 1e-6, `angle ${angle}`);
    if (angle > 1e-9) rotated++;
    if (d.contrast !== 1) {
      contrasted++;
      assert.ok(d.contrast >= 0.75 && d.contrast <= 1.25);
    }
  }
  assert.ok(Math.abs(rotated / 2000 - 0.2) < 0.04, `rotated ${rotated}`);
  assert.ok(Math.abs(contrasted / 2000 - 0.5) < 0.05, `contrasted ${contrasted}`);
});

test("the identity geometry: hand-computed matrix and a crop centred on the slice", () => {
  const canvas = { width: 300, height: 280 };
  const g = sampleGeometry(SLICE, IDENTITY_DRAW, TARGET, canvas);
  // Output half-size 100 mm = 64 source pixels around the centre (107.5, 127.5).
  assert.deepEqual([g.x0, g.y0, g.cropWidth, g.cropHeight], [42, 62, 132, 132]);
  const sx = 1.5625, a = 100;
  const expected = [2 * a / (sx * 300), 0, (2 * (107.5 - 42 + 1) + 1) / 300 - 1, 0, 2 * a / (sx * 280), (2 * (127.5 - 62 + 1) + 1) / 280 - 1];
  g.theta.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `theta[${i}] ${v} vs ${expected[i]}`));
  // Output pixel centre u = 0 (normalised -1 + 1/W) lands on source x = centre - (W - 1) / 2 * t / sx.
  const un = -1 + 1 / 160, xn = g.theta[0] * un + g.theta[2];
  const canvasX = ((xn + 1) * 300 - 1) / 2, sourceX = canvasX - 1 + g.x0;
  assert.ok(Math.abs(sourceX - (107.5 - (79.5 * 1.25) / sx)) < 1e-9);
});

test("every draw's reach fits the loader's canvas, with a bilinear margin, for any slice", () => {
  const cfg = resolveAugment({ elastic: { probability: 0.5, sigmaMm: 6 }, scale: { probability: 1, range: [0.6, 1.4] }, affineJitter: { probability: 1, max: 0.2 } });
  const slices = [SLICE, { width: 512, height: 428, spacing: [0.7, 0.7] as [number, number] }, { width: 90, height: 120, spacing: [2.1, 1.9] as [number, number] }];
  const canvas = canvasSize(slices, TARGET, cfg);
  assert.equal(canvas.width, 512 + 2, "the largest slice, with a frame of air");
  const rng = new Random(3);
  for (let i = 0; i < 3000; i++) {
    const s = slices[i % 3];
    const d = drawSample(s, TARGET, cfg, rng.nextUint32());
    const g = sampleGeometry(s, d, TARGET, canvas);
    assert.ok(g.cropWidth <= canvas.width - 2 && g.cropHeight <= canvas.height - 2);
    // Every output corner maps inside the crop's bilinear support (or outside the slice: air).
    for (const [un, vn] of [[-1, -1], [1, -1], [-1, 1], [1, 1]]) {
      const X = ((g.theta[0] * un + g.theta[1] * vn + g.theta[2] + 1) * canvas.width - 1) / 2;
      const x = X - 1 + g.x0;
      if (x >= 0 && x <= s.width - 1) assert.ok(X >= 1 && X <= g.cropWidth, `draw ${i}: corner at canvas x ${X}, crop width ${g.cropWidth}`);
    }
  }
});

test("impossible augmentation options are refused, naming the field", () => {
  assert.throws(() => resolveAugment({ noise: { probability: 1.5 } }), /augment\.noise\.probability" must be a probability/);
  assert.throws(() => resolveAugment({ scale: { range: [1.2, 0.8] } }), /augment\.scale\.range"/);
  assert.throws(() => resolveAugment({ affineJitter: { max: 0.5 } }), /augment\.affineJitter\.max"/);
  assert.throws(() => resolveAugment({ lowResolution: { zoom: [0.5, 2] } }), /augment\.lowResolution\.zoom"/);
  const slice: Pick<TrainSlice, "width" | "height" | "spacing"> = SLICE;
  // Canvas: the largest slice, capped by the reach (a 141.4 mm half-diagonal at 1.5625 mm: 2 * 91 + 6) and framed.
  assert.equal(canvasSize([slice], TARGET, resolveAugment(false)).width, 190);
  // Default draws reach 141.4 / (0.75 * 0.9) mm = 140 pixels of 1.5 mm from the centre.
  assert.equal(canvasSize([{ width: 1024, height: 1024, spacing: [1.5, 1.5] }], TARGET, resolveAugment({})).width, 2 * 140 + 6 + 2);
});
