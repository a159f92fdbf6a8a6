// Structure volumes of one label map and ED/ES from LV volumes (src/eval/clinical.ts), as the web
// app's results panel uses them: hand-counted voxels, and the same volumes `score` reports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clinicalValues, edEsFromLvVolumes, phaseVolumes } from "../../src/eval/clinical.js";
import { scoreCases } from "../../src/eval/score.js";

const CLASSES = ["background", "RV", "MYO", "LV"];

test("phaseVolumes counts voxels per class times the voxel volume", () => {
  const labels = Uint8Array.from([0, 1, 1, 2, 3, 3, 3, 0]);
  const v = phaseVolumes(labels, [2, 2.5, 10], CLASSES);
  assert.deepEqual(v, { RV: 2 * 0.05, MYO: 0.05, LV: 3 * 0.05 });
  assert.deepEqual(clinicalValues(v, { RV: 0.05, MYO: 0.05, LV: 0.05 }).lv_ef_pct, (100 * (0.15 - 0.05)) / 0.15);
});

test("phaseVolumes agrees with the score's volume_ml", () => {
  const dims = [4, 3, 2], spacing = [1.5, 1.5, 8];
  const data = Uint8Array.from({ length: 24 }, (_, i) => (i * 7) % 4);
  const vol = { data, dims, spacing, affine: [1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 8, 0, 0, 0, 0, 1], meta: {} };
  const scored = scoreCases([{ id: "x_ED", phase: "ED", pred: vol, truth: vol }]).cases[0].volume_ml;
  const mine = phaseVolumes(data, spacing, CLASSES);
  for (const name of ["RV", "MYO", "LV"]) assert.ok(Math.abs(mine[name] - (scored[name] as number)) < 1e-12, name);
});

test("ED and ES default to the largest and smallest LV volume", () => {
  assert.deepEqual(edEsFromLvVolumes([50, 120, 80, 45, 90]), { ed: 1, es: 3 });
  assert.deepEqual(edEsFromLvVolumes([undefined, 60, null, 30]), { ed: 1, es: 3 }, "frames without labels are skipped");
  assert.deepEqual(edEsFromLvVolumes([70, 70, 70]), null, "no change over the cycle: no ED/ES");
  assert.equal(edEsFromLvVolumes([70]), null);
  assert.deepEqual(edEsFromLvVolumes([40, 100, 100, 40]), { ed: 1, es: 0 }, "first frame wins a tie");
});
