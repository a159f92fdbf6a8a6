// Tests of the pipeline on the shared ACDC patient001 (skipped when ../shared is absent):
// slice extraction against nibabel's numbers, normalisation statistics against numpy's,
// exact preprocess->restore of the real labels, and training batches from the real slices.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { loadDatasetSlices } from "../../src/data/sources.js";
import { preprocessSlice, restoreSlice } from "../../src/data/preprocess.js";
import { prepareTrainSlices } from "../../src/data/store.js";
import { renderToBatch } from "../../src/train/augment.js";
import { TrainLoader } from "../../src/data/loader.js";
import { classFrequencies } from "../../src/data/frequencies.js";

const ROOT = "../shared/data/acdc/training/patient001";
const skip = !existsSync(ROOT) && "shared ACDC patient001 absent";

interface CaseRef {
  dims: number[]; spacing: number[]; slices: number; labelCounts: number[]; nonEmptySlices: number;
  middleSlice: number; middleStats: { lo: number; hi: number; mean: number; std: number }; middlePixel_10_20: number;
}
const REF = JSON.parse(readFileSync("test/fixtures/data/acdc-patient001.json", "utf8")) as Record<string, CaseRef>;

test("patient001: ED and ES slices with provenance and nibabel's label counts", { skip }, () => {
  const ds = loadDatasetSlices(ROOT);
  assert.equal(ds.kind, "acdc");
  assert.deepEqual(ds.patients, ["patient001"]);
  assert.equal(ds.slices.length, 20);
  for (const [caseId, ref] of Object.entries(REF)) {
    const mine = ds.slices.filter((s) => s.provenance.caseId === caseId);
    assert.equal(mine.length, ref.slices, caseId);
    assert.deepEqual([mine[0].width, mine[0].height], ref.dims.slice(0, 2));
    assert.deepEqual(mine[0].provenance.spacing, ref.spacing.slice(0, 2));
    const counts = [0, 0, 0, 0];
    for (const s of mine) for (const v of s.label) counts[v]++;
    assert.deepEqual(counts, ref.labelCounts, `${caseId} label counts`);
    const mid = mine[ref.middleSlice];
    assert.equal(mid.image[20 * mid.width + 10], ref.middlePixel_10_20, "pixel (x=10, y=20)");
    const st = prepareTrainSlices([mid], { name: "regions" })[0].stats;
    for (const k of ["lo", "hi", "mean", "std"] as const) assert.ok(Math.abs(st[k] - ref.middleStats[k]) < 1e-3 * Math.max(1, ref.middleStats[k]), `${k}: ${st[k]} vs ${ref.middleStats[k]}`);
  }
  assert.deepEqual(new Set(ds.slices.map((s) => s.provenance.phase)), new Set(["ED", "ES"]));
  const dropped = loadDatasetSlices(ROOT, { keepEmpty: false });
  assert.equal(dropped.slices.length, REF.patient001_frame01.nonEmptySlices + REF.patient001_frame12.nonEmptySlices);
});

test("patient001: preprocessing to 1.25 mm and back restores every label map exactly", { skip }, () => {
  for (const s of loadDatasetSlices(ROOT).slices) {
    const pre = preprocessSlice({ image: s.image, width: s.width, height: s.height, spacing: s.provenance.spacing, label: s.label }, { multipleOf: 16 });
    assert.deepEqual([pre.geometry.resampledWidth, pre.geometry.resampledHeight], [270, 320]);
    assert.deepEqual(restoreSlice(pre.label as Uint8Array, pre.geometry), s.label);
  }
});

test("patient001: training batches for both tasks are finite and contain the heart", { skip }, async () => {
  const slices = loadDatasetSlices(ROOT, { keepEmpty: false }).slices;
  for (const task of [{ name: "regions" as const }, { name: "contour" as const, bandWidth: 3 }]) {
    const train = prepareTrainSlices(slices, task);
    const freq = classFrequencies(train, task.name === "regions" ? 4 : 2);
    assert.ok(freq.counts.every((c) => c > 0), `${task.name}: every class present`);
    const loader = new TrainLoader(train, { batchSize: 2, size: { width: 128, height: 128 }, seed: 3 }, { worker: false });
    let fg = 0;
    for (let i = 0; i < 3; i++) {
      const b = renderToBatch(loader.nextSync());
      assert.ok(b.images.every(Number.isFinite));
      fg += b.labels.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
    }
    assert.ok(fg > 0, `${task.name}: foreground in the batches`);
  }
});
