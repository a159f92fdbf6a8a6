// Tests of TrainLoader: exact resume (k batches, state, new loader, identical next batches),
// worker prefetch equal to synchronous gathering, epoch coverage, state checks, validation
// batches; and a measurement of batch gathering time at 256x256 (printed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { TrainLoader } from "../../src/data/loader.js";
import { gatherBatch, EpochOrders, planBatches, type LoaderConfig } from "../../src/data/batch.js";
import { intensityStats } from "../../src/data/normalize.js";
import type { TrainSlice } from "../../src/data/augment.js";
import type { CropBatch, Slice2D } from "../../src/data/types.js";
import { renderToBatch } from "../../src/train/augment.js";
import { validationBatches } from "../../src/data/validation.js";

function slices(n: number, w = 40, h = 36): TrainSlice[] {
  return Array.from({ length: n }, (_, k) => {
    const image = new Float32Array(w * h), label = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const x = i % w, y = Math.floor(i / w), r = Math.hypot(x - w / 2 - k, y - h / 2);
      label[i] = r < 5 + k ? 3 : r < 9 + k ? 2 : 0;
      image[i] = label[i] * 100 + ((i * 31 + k * 17) % 23);
    }
    return { id: `s${k}`, image, label, width: w, height: h, spacing: [1.4 + 0.05 * k, 1.4 + 0.05 * k], stats: intensityStats(image) };
  });
}

const CFG: LoaderConfig = { batchSize: 3, size: { width: 32, height: 32 }, seed: 11, augment: { elastic: { probability: 0.5 } } };

function same(a: CropBatch, b: CropBatch, what: string): void {
  assert.deepEqual(a.ids, b.ids, `${what}: ids`);
  assert.deepEqual(a.canvas, b.canvas, `${what}: canvas`);
  assert.deepEqual(a.canvasLabels, b.canvasLabels, `${what}: canvas labels`);
  assert.deepEqual([a.theta, a.elastic, a.intensity], [b.theta, b.elastic, b.intensity], `${what}: draws`);
}

test("resume: k batches, save state, restore in a new loader -> identical next batches", () => {
  const data = slices(7);
  const a = new TrainLoader(data, CFG, { worker: false });
  for (let i = 0; i < 4; i++) a.nextSync(); // 12 samples: crosses an epoch boundary
  const saved = JSON.parse(JSON.stringify(a.state()));
  assert.deepEqual([saved.epoch, saved.position, saved.batches], [1, 5, 4]);
  const expected = [a.nextSync(), a.nextSync(), a.nextSync()];
  const b = new TrainLoader(data, CFG, { worker: false });
  b.restore(saved);
  expected.forEach((e, i) => same(b.nextSync(), e, `batch ${i}`));
});

test("the worker prefetch yields exactly the synchronous batches, and resumes too", async () => {
  const data = slices(5);
  const sync = new TrainLoader(data, CFG, { worker: false });
  const expected = Array.from({ length: 6 }, () => sync.nextSync());
  const w = new TrainLoader(data, CFG, { prefetch: 3 });
  try {
    assert.ok(w.usesWorker);
    for (let i = 0; i < 3; i++) same(await w.next(), expected[i], `worker batch ${i}`);
    const s = w.state();
    const r = new TrainLoader(data, CFG, { prefetch: 2 });
    try {
      r.restore(s);
      for (let i = 3; i < 6; i++) same(await r.next(), expected[i], `resumed worker batch ${i}`);
    } finally {
      await r.close();
    }
  } finally {
    await w.close();
  }
});

test("each epoch visits every slice once, in a new seeded order", () => {
  const data = slices(6);
  const l = new TrainLoader(data, { ...CFG, batchSize: 2 }, { worker: false });
  const epoch0 = [l.nextSync(), l.nextSync(), l.nextSync()].flatMap((b) => b.ids);
  const epoch1 = [l.nextSync(), l.nextSync(), l.nextSync()].flatMap((b) => b.ids);
  assert.deepEqual([...epoch0].sort(), data.map((s) => s.id).sort());
  assert.deepEqual([...epoch1].sort(), data.map((s) => s.id).sort());
  assert.notDeepEqual(epoch0, epoch1);
  const other = new TrainLoader(data, { ...CFG, batchSize: 2, seed: 12 }, { worker: false });
  assert.notDeepEqual([other.nextSync(), other.nextSync(), other.nextSync()].flatMap((b) => b.ids), epoch0);
});

test("batches have the documented layout; state from another loader is refused", () => {
  const l = new TrainLoader(slices(3), CFG, { worker: false });
  const b = renderToBatch(l.nextSync());
  assert.equal(b.images.length, 3 * 32 * 32);
  assert.equal(b.labels.length, 3 * 32 * 32);
  assert.ok(b.images.every(Number.isFinite));
  assert.ok(b.labels.some((v) => v === 3));
  const other = new TrainLoader(slices(4), CFG, { worker: false });
  assert.throws(() => other.restore(l.state()), /numSlices 3 does not match this loader's 4/);
  assert.throws(() => new TrainLoader([], CFG, { worker: false }), /no training slices/);
  assert.throws(() => new TrainLoader(slices(2), { ...CFG, batchSize: 0 }, { worker: false }), /batchSize/);
});

test("validation batches: every slice once, deterministic, with geometry to restore", () => {
  const src: Slice2D[] = slices(5).map((s, k) => ({
    image: s.image, label: s.label, width: s.width, height: s.height,
    provenance: { patient: `p${k}`, caseId: `p${k}_frame01`, phase: "ED", sliceIndex: 0, spacing: s.spacing, imageFile: "", labelFile: "" },
  }));
  const run = (): ReturnType<typeof validationBatches> => validationBatches(src, { task: { name: "regions" }, size: { width: 48, height: 48 }, batchSize: 2 });
  const a = [...run()], b = [...run()];
  assert.deepEqual(a.map((x) => x.batchSize), [2, 2, 1]);
  assert.deepEqual(a.map((x) => x.images), b.map((x) => x.images));
  assert.equal(a[0].geometries[0].outWidth, 48);
  const whole = [...validationBatches(src, { task: { name: "contour" }, multipleOf: 8 })];
  assert.equal(whole.length, 5);
  assert.equal(whole[0].width % 8, 0);
  assert.ok(whole[0].labels.every((v) => v <= 1));
});

test("batch gathering time at 256x256 (printed)", () => {
  // ACDC-like slices: 216x256 at 1.5625 mm; batch 2 at 256x256, 1.25 mm, all augmentations incl. elastic.
  const data = slices(4, 216, 256);
  const cfg: LoaderConfig = { batchSize: 2, size: { width: 256, height: 256 }, seed: 1, augment: { elastic: { probability: 1 }, gamma: { probability: 1 }, noise: { probability: 1 } } };
  const orders = new EpochOrders(data.length, cfg.seed), plan = planBatches(data, cfg);
  gatherBatch(data, cfg, plan, orders, { epoch: 0, position: 0 }); // warm-up
  const n = 10, t0 = performance.now();
  for (let i = 0; i < n; i++) gatherBatch(data, cfg, plan, orders, { epoch: i, position: 0 });
  const ms = (performance.now() - t0) / n;
  console.log(`# data gathering: ${ms.toFixed(1)} ms per batch of 2 at 256x256 (${(ms / 2).toFixed(1)} ms per sample)`);
  assert.ok(ms < 500, `${ms} ms per batch is far too slow`);
});
