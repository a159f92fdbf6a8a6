// `cardioseg convert` output is a layout every command reads: patient folders of image/label pairs
// with a dataset.json manifest. Here phantoms in the ACDC layout are converted, one label map is made
// partial as a Sunnybrook slice without an o-contour is (255 outside the LV cavity, no RV drawn),
// and the manifest declares MYO and LV only; then train and evaluate run on the converted folder.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { convertInput } from "../../src/io/convert.js";
import { detectDataset, loadDataset } from "../../src/io/datasets/index.js";
import { readNifti, writeNiftiLabels } from "../../src/io/nifti/index.js";
import { labelLike, type ImageVolume } from "../../src/io/image.js";
import { runTraining } from "../../src/train/run.js";
import { runEvaluate } from "../../src/infer/evaluate.js";
import { quiet, TEST_TINY } from "./helpers.js";
import { SHARED, skipUnless } from "../paths.js";

let out: string, runDir: string;

before(async () => {
  const root = mkdtempSync(join(tmpdir(), "cardioseg-converted-"));
  writeSynthDataset({ out: join(root, "synth"), cases: 4, seed: 5, size: 48, preview: false });
  out = join(root, "converted");
  convertInput(join(root, "synth"), out);
  // patient001's ES labels as a Sunnybrook slice with an i-contour only.
  const gt = join(out, "patient001", `patient001_frame${esFrame(join(root, "synth", "patient001", "Info.cfg"))}_gt.nii.gz`);
  const labels = readNifti(gt);
  writeNiftiLabels(gt, labelLike(labels as ImageVolume, Uint8Array.from(labels.data, (v) => (v === 3 ? 3 : 255))));
  const manifest = JSON.parse(readFileSync(join(out, "dataset.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(out, "dataset.json"), JSON.stringify({ ...manifest, structures: ["MYO", "LV"] }));
  runDir = join(root, "run");
  await runTraining({ config: TEST_TINY, data: out, out: runDir, overrides: ["train.iterations=2", "train.valEvery=2"], ...quiet });
});

function esFrame(info: string): string {
  return String(Number(/ES:\s*(\d+)/.exec(readFileSync(info, "utf8"))![1])).padStart(2, "0");
}

test("the converted folder is a data set of patient folders with its manifest", () => {
  assert.equal(detectDataset(out), "generic");
  const ds = loadDataset(out);
  assert.equal(ds.cases.length, 8);
  assert.deepEqual([...new Set(ds.cases.map((c) => c.patient))], ["patient001", "patient002", "patient003", "patient004"]);
  assert.deepEqual(ds.structures, ["MYO", "LV"]);
  const manifest = JSON.parse(readFileSync(join(out, "dataset.json"), "utf8")) as { format: string; source: string; labels: Record<string, string> };
  assert.equal(manifest.format, "cardioseg-dataset-1");
  assert.equal(manifest.source, "acdc");
  assert.match(manifest.labels["255"], /not annotated/);
});

test("evaluate scores the manifest's structures, and the myocardium only where it was annotated", async () => {
  const r = await runEvaluate({ model: runDir, data: out, patients: "001,002", out: join(runDir, "ev"), overlays: 1, log: () => undefined });
  assert.deepEqual(r.report.classes, ["background", "MYO", "LV"]);
  assert.deepEqual(r.report.evaluation.structures, ["MYO", "LV"]);
  assert.equal(r.report.cases.length, 4);
  assert.equal(r.report.summary.all.MYO.n_unannotated, 1);
  assert.equal(r.report.summary.all.LV.n_unannotated, 0);
  const partial = r.report.cases.filter((c) => c.unannotated);
  assert.equal(partial.length, 1);
  assert.match(partial[0].id, /^patient001_frame/);
  assert.equal(partial[0].dice.MYO, null);
  const lvOnly = await runEvaluate({ model: runDir, data: out, patients: "002", out: join(runDir, "ev2"), overlays: 0, structures: ["LV"], log: () => undefined });
  assert.deepEqual(lvOnly.report.classes, ["background", "LV"]);
});

test("training on partial labels needs loss.ignoreIndex 255", async () => {
  await assert.rejects(runTraining({ config: TEST_TINY, data: out, out: join(runDir, "x"), overrides: ["loss.ignoreIndex=-100"], ...quiet }),
    /labels 255 mark voxels not annotated; training needs loss\.ignoreIndex=255/);
});

const SUNNYBROOK = join(SHARED, "sunnybrook");

test("Sunnybrook converted: evaluate reports LV and MYO, the myocardium only on the 9 slices with an o-contour", { skip: skipUnless(SUNNYBROOK) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-sunnybrook-"));
  convertInput(SUNNYBROOK, join(dir, "nifti"));
  const r = await runEvaluate({ model: runDir, data: join(dir, "nifti"), out: join(dir, "eval"), overlays: 1, log: () => undefined });
  assert.deepEqual(r.report.classes, ["background", "MYO", "LV"]);
  assert.equal(r.report.cases.length, 18);
  assert.equal(r.report.evaluation.selection, "all");
  assert.deepEqual([r.report.summary.all.MYO.n_unannotated, r.report.summary.all.LV.n_unannotated], [9, 0]);
  // The raw Sunnybrook root scores the same way.
  const raw = await runEvaluate({ model: runDir, data: SUNNYBROOK, out: join(dir, "eval-raw"), overlays: 0, log: () => undefined });
  assert.deepEqual(raw.report.per_class, r.report.per_class);
});
