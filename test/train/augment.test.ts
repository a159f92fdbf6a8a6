// Tests of the batched augmentation on libtorch (src/train/augment.ts over src/data/batch.ts):
// the rendering matches an independent per-pixel computation in millimetres (scipy, recorded by
// scripts/fixtures/augment.py), labels follow images under random geometry (nearest and linear
// labels), a sample is bit for bit the same whatever batch it is in, and a trainer fed by the real
// loader resumes bit-exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { IDENTITY_DRAW, type AugmentOptions, type SampleDraw, type TrainSlice } from "../../src/data/augment.js";
import { EpochOrders, gatherBatch, placeSamples, planBatches, type LoaderConfig } from "../../src/data/batch.js";
import { TrainLoader } from "../../src/data/loader.js";
import { intensityStats } from "../../src/data/normalize.js";
import { setNumThreads, tidy } from "../../src/tensor/index.js";
import { OTHER_LABEL, renderToBatch } from "../../src/train/augment.js";
import { applyOverrides, defaultExperimentConfig, resolveConfig } from "../../src/train/config.js";
import { Trainer } from "../../src/train/trainer.js";

setNumThreads(1); // bitwise-reproducible reductions for the resume test

interface FixtureCase { name: string; draw: Omit<SampleDraw, "noiseStd" | "noiseSeed">; image: number[]; label: number[]; tie: number[] }
interface Fixture {
  source: { width: number; height: number; spacing: [number, number]; image: number[]; label: number[]; stats: TrainSlice["stats"] };
  target: { width: number; height: number; spacing: number };
  cases: FixtureCase[];
}

const FIXTURE = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "fixtures", "data", "augment.json"), "utf8")) as Fixture;

test("rendering matches an independent per-pixel computation in mm (scipy) for every transform", () => {
  const { source: s, target } = FIXTURE;
  const slice: TrainSlice = {
    id: "fixture", width: s.width, height: s.height, spacing: s.spacing, stats: s.stats,
    image: Float32Array.from(s.image), label: Uint8Array.from(s.label),
  };
  const cfg: LoaderConfig = { batchSize: 1, size: target, targetSpacing: target.spacing, seed: 0, augment: { elastic: { probability: 1, gridSize: 4 } } };
  const plan = planBatches([slice], cfg);
  for (const c of FIXTURE.cases) {
    const draw: SampleDraw = { ...c.draw, elastic: c.draw.elastic ? Float32Array.from(c.draw.elastic) : null, noiseStd: 0, noiseSeed: 0 };
    const out = renderToBatch(placeSamples([{ slice, draw }], plan));
    let worst = 0, ties = 0;
    for (let i = 0; i < c.image.length; i++) {
      worst = Math.max(worst, Math.abs(out.images[i] - c.image[i]));
      if (c.tie[i]) ties++;
      else assert.equal(out.labels[i], c.label[i], `${c.name}: label at pixel ${i}`);
    }
    assert.ok(worst < 2e-3, `${c.name}: image differs by up to ${worst}`);
    assert.ok(ties < 5, `${c.name}: ${ties} half-way pixels`);
  }
});

/** Concentric label regions plus an off-centre blob; image = label value (stats make normalisation the identity). */
function phantom(w: number, h: number, spacing: [number, number], id = "p", shift = 0): TrainSlice {
  const label = new Uint8Array(w * h), image = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - w * 0.45 - shift, y - h * 0.5);
      let v = r < 8 ? 3 : r < 14 ? 2 : r < 20 ? 1 : 0;
      if (Math.hypot(x - w * 0.8, y - h * 0.25) < 5) v = 3;
      label[y * w + x] = v;
      image[y * w + x] = v;
    }
  }
  return { id, image, label, width: w, height: h, spacing, stats: { lo: 0, hi: 3, mean: 0, std: 1 } };
}

const GEOMETRY: AugmentOptions = { elastic: { probability: 1, gridSize: 5, sigmaMm: 3 }, gamma: { probability: 0 }, noise: { probability: 0 } };

for (const labels of ["nearest", "linear"] as const) {
  test(`${labels} labels stay aligned with the image under random geometric augmentation`, () => {
    const slices = [phantom(64, 60, [1.3, 1.45]), phantom(70, 64, [1.1, 1.1], "q", 3)];
    const W = 56, cfg: LoaderConfig = { batchSize: 4, size: { width: W, height: W }, targetSpacing: 1.1, seed: 9, augment: { ...GEOMETRY, labels } };
    const plan = planBatches(slices, cfg), orders = new EpochOrders(slices.length, cfg.seed);
    for (let epoch = 0; epoch < 5; epoch++) {
      const b = renderToBatch(gatherBatch(slices, cfg, plan, orders, { epoch, position: 0 }), 4);
      let agree = 0, total = 0;
      for (let k = 0; k < b.batchSize; k++) {
        for (let y = 1; y < W - 1; y++) {
          for (let x = 1; x < W - 1; x++) {
            const i = k * W * W + y * W + x;
            total++;
            if (Math.round(b.images[i]) === b.labels[i]) { agree++; continue; }
            // Disagreement only on a label boundary (bilinear blends across it).
            let mixed = false;
            for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (b.labels[i + dy * W + dx] !== b.labels[i]) mixed = true;
            assert.ok(mixed, `epoch ${epoch} sample ${k}: (${x}, ${y}) label ${b.labels[i]} vs image ${b.images[i]} away from any boundary`);
          }
        }
      }
      // Aligned labels agree on >98% of pixels; a half-pixel shift between them drops that to ~93%.
      assert.ok(agree / total > 0.97, `epoch ${epoch}: only ${agree}/${total} agreeing pixels`);
    }
  });
}

test("linear labels: a label at or above the class count renders as OTHER_LABEL (255)", () => {
  const w = 40, h = 40, image = new Float32Array(w * h), label = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = Math.floor(i / w);
    label[i] = x >= 10 && x < 30 && y >= 10 && y < 30 ? 9 : x < 20 ? 2 : 0;
  }
  const slice: TrainSlice = { id: "o", image, label, width: w, height: h, spacing: [1, 1], stats: { lo: 0, hi: 1, mean: 0, std: 1 } };
  const still: AugmentOptions = { rotation: { probability: 0 }, scale: { probability: 0 }, affineJitter: { probability: 0 },
    mirror: { x: 0, y: 0 }, randomCrop: false, gamma: { probability: 0 }, noise: { probability: 0 }, labels: "linear" };
  const cfg: LoaderConfig = { batchSize: 1, size: { width: w, height: h }, targetSpacing: 1, seed: 1, augment: still };
  const plan = planBatches([slice], cfg);
  const b = renderToBatch(gatherBatch([slice], cfg, plan, new EpochOrders(1, 1), { epoch: 0, position: 0 }), 4);
  assert.equal(b.labels[20 * w + 20], OTHER_LABEL);
  assert.equal(b.labels[35 * w + 5], 2);
  assert.equal(b.labels[35 * w + 35], 0);
  assert.ok(!b.labels.includes(9));
});

const EVERYTHING: AugmentOptions = {
  elastic: { probability: 0.7 }, gamma: { probability: 0.6, invertedProbability: 0.4 }, noise: { probability: 0.7 },
  blur: { probability: 0.5 }, brightness: { probability: 0.5 }, contrast: { probability: 0.5 }, lowResolution: { probability: 0.5 },
};

function slices(n: number, w = 40, h = 36): TrainSlice[] {
  return Array.from({ length: n }, (_, k) => {
    const image = new Float32Array(w * h), label = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const x = i % w, y = Math.floor(i / w), r = Math.hypot(x - w / 2 - k, y - h / 2);
      label[i] = r < 5 + k ? 3 : r < 9 + k ? 2 : 0;
      image[i] = label[i] * 100 + ((i * 31 + k * 17) % 23);
    }
    return { id: `s${k}`, image, label, width: w, height: h, spacing: [1.4 + 0.05 * k, 1.5], stats: intensityStats(image) };
  });
}

test("a sample renders bit for bit the same alone or in any batch (every transform on)", () => {
  const data = slices(5);
  const base: LoaderConfig = { batchSize: 4, size: { width: 32, height: 28 }, seed: 21, augment: EVERYTHING };
  const plan = planBatches(data, base), orders = new EpochOrders(data.length, base.seed);
  const together = renderToBatch(gatherBatch(data, base, plan, orders, { epoch: 3, position: 1 }));
  const n = 32 * 28;
  for (let k = 0; k < 4; k++) {
    const alone = renderToBatch(gatherBatch(data, { ...base, batchSize: 1 }, plan, orders, { epoch: 3, position: 1 + k }));
    assert.deepEqual(alone.ids, [together.ids[k]]);
    assert.deepEqual(alone.images, together.images.slice(k * n, (k + 1) * n), `sample ${k}: image`);
    assert.deepEqual(alone.labels, together.labels.slice(k * n, (k + 1) * n), `sample ${k}: labels`);
  }
  // The same seed renders the same batch; another seed another one.
  assert.deepEqual(renderToBatch(gatherBatch(data, base, plan, orders, { epoch: 3, position: 1 })).images, together.images);
  const other = renderToBatch(gatherBatch(data, { ...base, seed: 22 }, plan, new EpochOrders(data.length, 22), { epoch: 3, position: 1 }));
  assert.notDeepEqual(other.images, together.images);
});

test("noise, blur, contrast and low resolution change only the samples that drew them", () => {
  const data = slices(1);
  const cfg: LoaderConfig = { batchSize: 1, size: { width: 32, height: 28 }, seed: 1, augment: { gamma: { probability: 0 }, noise: { probability: 0 } } };
  const plan = planBatches(data, cfg);
  const place = (over: Partial<SampleDraw>): Float32Array => renderToBatch(placeSamples([{ slice: data[0], draw: { ...IDENTITY_DRAW, ...over } }], plan)).images;
  const plain = place({});
  const noisy = place({ noiseStd: 0.1, noiseSeed: 5 });
  const diff = Array.from(noisy, (v, i) => v - plain[i]);
  const mean = diff.reduce((a, v) => a + v, 0) / diff.length, sd = Math.sqrt(diff.reduce((a, v) => a + (v - mean) ** 2, 0) / diff.length);
  assert.ok(Math.abs(sd - 0.1) < 0.01 && Math.abs(mean) < 0.02, `noise: mean ${mean}, sd ${sd}`);
  assert.deepEqual(place({ noiseStd: 0.1, noiseSeed: 5 }), noisy, "noise is a function of its seed");
  for (const over of [{ blurSigma: 0.8 }, { contrast: 0.8 }, { lowResZoom: 0.5 }, { brightness: 1.2 }]) {
    assert.notDeepEqual(place(over), plain, JSON.stringify(over));
  }
  // Contrast keeps the mean and the range.
  const c = place({ contrast: 0.7 });
  const avg = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(avg(c) - avg(plain)) < 1e-4);
  assert.ok(Math.min(...c) >= Math.min(...plain) - 1e-6 && Math.max(...c) <= Math.max(...plain) + 1e-6);
});

test("a trainer fed by the real loader (worker, every augmentation) resumes bit-exactly", async () => {
  const data = slices(6);
  const cfg = applyOverrides(resolveConfig({ ...defaultExperimentConfig, name: "aug", seed: 4 }), [
    "model.backbone=18", "model.width=4", "model.asppChannels=8", "model.outputStride=16", "model.arch=deeplabv3plus",
    "model.lowLevelChannels=4", "train.iterations=4", "train.batchSize=3", "train.logEvery=1", "train.valEvery=100",
    "train.checkpointEvery=2", "optim.name=adamw", "optim.lr=0.003", "loss.name=dice_ce",
  ]);
  const loader = (): TrainLoader => new TrainLoader(data, { batchSize: 3, size: { width: 32, height: 32 }, seed: 4, augment: { ...EVERYTHING, labels: "linear" } });
  const run = async (dir: string, opts: { stopAfter?: number; resume?: string }): Promise<Map<string, Float32Array>> => {
    const train = loader();
    const t = new Trainer({ config: cfg, runDir: dir, train, classNames: ["bg", "RV", "MYO", "LV"], progress: "silent", handleSignals: false, ...opts });
    try {
      await t.run();
      return new Map([...t.model.stateDict()].map(([k, v]) => [k, tidy(() => v.toFloat32Array())]));
    } finally {
      t.dispose();
      await train.close();
    }
  };
  const a = await run(mkdtempSync(join(tmpdir(), "augA-")), {});
  const dirB = mkdtempSync(join(tmpdir(), "augB-"));
  await run(dirB, { stopAfter: 2 });
  const b = await run(dirB, { resume: dirB });
  for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${k} differs after resume`);
});
