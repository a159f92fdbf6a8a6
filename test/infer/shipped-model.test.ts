// The shipped model (models/acdc-deeplabv3plus.safetensors): within the size limit, float16 on
// disk, loaded with no --model argument, and segmenting an ACDC case above a Dice floor — through
// `evaluate` and through the `predict` command line. Skipped, with the reason, while the weights are
// not committed or ../shared is absent. Every ACDC training patient is training data for the
// shipped model, so this is a check that it loads and works, not an accuracy figure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHARED, skipUnless } from "../paths.js";
import { shippedModelPath } from "../../src/train/model-path.js";
import { readSafetensorsHeader } from "../../src/tensor/safetensors.js";
import { runEvaluate } from "../../src/infer/evaluate.js";
import { Predictor } from "../../src/infer/predictor.js";
import type { InferencePrecision } from "../../src/infer/engine.js";
import { readNifti } from "../../src/io/nifti/index.js";
import { CLI_MAIN } from "./helpers.js";

const ACDC = join(SHARED, "acdc", "training");
const SHIPPED = shippedModelPath();
const skip = existsSync(SHIPPED) ? skipUnless(ACDC) : `${SHIPPED} absent (no shipped weights committed yet; models/README.md)`;
/** Floors for one ED/ES pair (the model card's cross-validation figures are the real measure). */
const FLOOR = { meanDice: 0.85, lv: 0.9 };

test("the shipped model is float16, at most 30 MB, and segments an ACDC patient above the Dice floor with no --model", { skip }, async () => {
  assert.ok(statSync(SHIPPED).size <= 30e6, `${SHIPPED} is ${statSync(SHIPPED).size} bytes`);
  assert.equal(readSafetensorsHeader(SHIPPED).metadata.dtype, "float16");
  const out = mkdtempSync(join(tmpdir(), "shipped-"));
  const r = await runEvaluate({ data: ACDC, patients: "090", out, overlays: 0, log: () => undefined });
  assert.equal(r.report.evaluation.model, SHIPPED);
  assert.equal(r.report.cases.length, 2);
  const all = r.report.summary.all;
  const mean = (["LV", "RV", "MYO"] as const).reduce((a, s) => a + (all[s].dice_mean ?? 0), 0) / 3;
  assert.ok(mean >= FLOOR.meanDice, `mean Dice ${mean.toFixed(3)} below ${FLOOR.meanDice}`);
  assert.ok((all.LV.dice_mean ?? 0) >= FLOOR.lv, `LV Dice ${all.LV.dice_mean} below ${FLOOR.lv}`);
});

test("`cardioseg predict SCAN --out DIR` works with no model argument", { skip }, () => {
  const out = mkdtempSync(join(tmpdir(), "shipped-cli-"));
  const scan = join(ACDC, "patient090", "patient090_frame04.nii.gz");
  const p = spawnSync(process.execPath, [CLI_MAIN, "predict", scan, "--out", out, "--format", "nifti"], { encoding: "utf8" });
  assert.equal(p.status, 0, p.stderr);
  assert.ok(existsSync(join(out, "patient090_frame04", "patient090_frame04_pred.nii.gz")));
});

test("--precision bfloat16 labels an ACDC frame as float32 does on >= 99.9% of voxels", { skip }, () => {
  const scan = join(ACDC, "patient090", "patient090_frame04.nii.gz");
  const volume = readNifti(scan);
  const labels = (precision: InferencePrecision): Uint8Array => {
    const predictor = Predictor.load(SHIPPED, { precision });
    try {
      return predictor.predictVolume(volume).data;
    } finally {
      predictor.dispose();
    }
  };
  const f32 = labels("float32"), bf16 = labels("bfloat16");
  let same = 0, foreground = 0;
  for (let i = 0; i < f32.length; i++) {
    if (f32[i] === bf16[i]) same++;
    if (f32[i] > 0) foreground++;
  }
  assert.ok(foreground > 1000, `float32 found only ${foreground} foreground voxels`);
  assert.ok(same / f32.length >= 0.999, `agreement ${same}/${f32.length}`);
});
