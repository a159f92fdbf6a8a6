// `cardioseg evaluate` on a tiny trained model: the run's own validation patients by default,
// --patients to choose, the documented scores.json keys, overlays where src/report looks for them,
// saved label maps in the images' geometry, and scores equal to `cardioseg score` on those maps.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packedConvolutionsAvailable } from "../../src/tensor/index.js";
import { splitPatients } from "../../src/data/split.js";
import { readNifti } from "../../src/io/nifti/index.js";
import { scoreFolders } from "../../src/eval/score-folders.js";
import { readRunFolder } from "../../src/report/run-folder.js";
import { runEvaluate, keepExtremes, type EvaluateResult } from "../../src/infer/evaluate.js";
import { tinyRun, type TinyRun } from "./helpers.js";

const PATIENTS = ["patient001", "patient002", "patient003"];
let run: TinyRun;
let byDefault: EvaluateResult;

before(async () => {
  run = await tinyRun("cardioseg-evaluate-");
  byDefault = await runEvaluate({ model: run.runDir, data: run.dataDir, log: () => undefined });
});

test("by default the run's validation patients are scored, into RUNDIR/eval", () => {
  // configs/test-tiny.yaml: seed 3, no explicit split, so the default fraction 0.2 by seed.
  const val = splitPatients(PATIENTS, { valFraction: 0.2, seed: 3 }).val;
  assert.equal(val.length, 1);
  assert.deepEqual(byDefault.report.evaluation.patients, val);
  assert.equal(byDefault.report.evaluation.selection, "validation");
  assert.equal(byDefault.scoresPath, join(run.runDir, "eval", "scores.json"));
  const ids = byDefault.report.cases.map((c) => c.id);
  assert.equal(ids.length, 2);
  for (const id of ids) assert.match(id, new RegExp(`^${val[0]}_frame\\d\\d$`));
  assert.deepEqual(byDefault.report.cases.map((c) => c.phase).sort(), ["ED", "ES"]);
});

test("scores.json has the documented keys and the report finds its overlays", () => {
  const json = JSON.parse(readFileSync(byDefault.scoresPath, "utf8")) as Record<string, unknown>;
  for (const k of ["classes", "overall_acc", "mean_acc", "freqw_iou", "mean_iou", "mean_dice", "per_class", "cases", "summary", "clinical", "skipped", "evaluation"]) {
    assert.ok(k in json, k);
  }
  assert.deepEqual(json.classes, ["background", "RV", "MYO", "LV"]);
  const evaluation = json.evaluation as Record<string, unknown>;
  assert.equal(evaluation.precision, "float32");
  assert.equal(evaluation.convolutions, packedConvolutionsAvailable() ? "winograd" : "libtorch");
  const c = (json.cases as Record<string, unknown>[])[0];
  for (const k of ["id", "phase", "subject", "dice", "hd95_mm", "assd_mm", "volume_ml", "volume_ml_gt"]) assert.ok(k in c, `case.${k}`);
  assert.deepEqual(Object.keys(c.dice as object), ["RV", "MYO", "LV"]);
  const folder = readRunFolder(run.runDir);
  for (const cs of byDefault.report.cases) {
    if (!Number.isFinite(Object.values(cs.dice).reduce<number>((a, d) => a + (d ?? NaN), 0))) continue;
    assert.ok(folder.overlay(cs.id, "pred") && folder.overlay(cs.id, "gt"), `overlays of ${cs.id}`);
  }
});

test("--patients, --out, --json and --save-labels; scores agree with `cardioseg score`", async () => {
  const out = join(run.root, "eval-all");
  const json = join(run.root, "all.json");
  const r = await runEvaluate({ model: run.runDir, data: run.dataDir, patients: "1-3", out, json, saveLabels: true, overlays: 1, log: () => undefined });
  assert.equal(r.report.evaluation.selection, "given");
  assert.deepEqual(r.report.evaluation.patients, PATIENTS);
  assert.equal(r.report.cases.length, 6);
  assert.ok(existsSync(json) && existsSync(join(out, "eval", "scores.json")));
  assert.ok(r.overlays.length <= 4 && r.overlays.length >= 2, `${r.overlays.length} overlay files for 1 best + 1 worst`);
  for (const c of r.report.cases) {
    const pred = readNifti(join(out, "eval", "labels", `${c.id}.nii.gz`));
    const image = readNifti(join(run.dataDir, c.subject, `${c.id}.nii.gz`));
    assert.deepEqual(pred.dims.slice(0, 3), image.dims.slice(0, 3));
    assert.deepEqual(pred.affine, image.affine);
  }
  const scored = scoreFolders({ predDir: join(out, "eval", "labels"), gtDir: run.dataDir, classes: ["background", "RV", "MYO", "LV"] });
  assert.equal(scored.mean_dice, r.report.mean_dice);
  assert.deepEqual(scored.per_class, r.report.per_class);
  assert.deepEqual(scored.cases.map((c) => [c.id, c.dice]).sort(), r.report.cases.map((c) => [c.id, c.dice]).sort());
});

test("a selector that matches nobody and a missing data folder are clear errors", async () => {
  await assert.rejects(runEvaluate({ model: run.runDir, data: run.dataDir, patients: "50-60", log: () => undefined }), /"50-60" matches no patient/);
  await assert.rejects(runEvaluate({ model: run.runDir, data: join(run.root, "nope"), log: () => undefined }), /not a recognised data set/);
});

test("keepExtremes keeps the n best and n worst, ties in case order", () => {
  const kept: { order: number; dice: number }[] = [];
  [0.5, 0.9, 0.1, 0.9, 0.3, NaN, 0.1, 0.7].forEach((dice, order) => keepExtremes(kept, { order, dice }, 2));
  // Ranked: 0.9(1) 0.9(3) 0.7(7) 0.5(0) 0.3(4) 0.1(2) 0.1(6): best 1,3; worst 2,6.
  assert.deepEqual(kept.map((k) => k.order), [1, 3, 2, 6]);
});

test("a contour-task model is scored against the contour band made from the truth", async () => {
  const contour = await tinyRun("cardioseg-evaluate-contour-", ["data.task=contour"]);
  const r = await runEvaluate({ model: contour.runDir, data: contour.dataDir, patients: "1", overlays: 0, log: () => undefined });
  assert.deepEqual(r.report.classes, ["background", "contour"]);
  assert.equal(r.report.cases.length, 2);
  assert.equal(r.overlays.length, 0);
  // The band covers a thin part of the image: far fewer voxels than the ACDC structures.
  const c = r.report.cases[0];
  assert.ok(c.volume_ml_gt.contour! > 0);
  assert.ok(c.volume_ml_gt.contour! < byDefault.report.cases.reduce((a, x) => a + x.volume_ml_gt.LV! + x.volume_ml_gt.MYO! + x.volume_ml_gt.RV!, 0));
});
