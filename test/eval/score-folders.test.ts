// `cardioseg score`'s folder logic on small NIfTI files written to a temp folder: name matching
// (X_gt preferred over X), phases from Info.cfg or the name, and bad input refused per case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNifti } from "../../src/io/nifti/index.js";
import { matchCases, phaseOf } from "../../src/eval/files.js";
import { ScoreInputError, scoreFolders } from "../../src/eval/score-folders.js";
import { ACDC_CLASSES } from "../../src/eval/score.js";
import { labelVolume, paint, type Shape } from "./helpers.js";

const DIMS = [12, 10, 4], SP = [1.5, 1.5, 8];
const HEART: Shape[] = [
  { kind: "box", label: 1, lo: [0, 2, 0], hi: [3, 8, 3] },
  { kind: "ellipsoid", label: 2, center: [7, 5, 1.5], radii: [3.5, 3.5, 2] },
  { kind: "ellipsoid", label: 3, center: [7, 5, 1.5], radii: [2, 2, 1.5] },
];

function writeLabels(path: string, data: Uint8Array, dims = DIMS): void {
  writeNifti(path, labelVolume(data, dims, SP), { as: "uint8" });
}

function fixtureFolders(): { root: string; pred: string; gt: string } {
  const root = mkdtempSync(join(tmpdir(), "cardioseg-score-"));
  const pred = join(root, "pred"), gt = join(root, "gt", "patientA");
  mkdirSync(pred, { recursive: true });
  mkdirSync(gt, { recursive: true });
  writeFileSync(join(gt, "Info.cfg"), "ED: 1\nES: 7\nGroup: NOR\n");
  const truth = paint(DIMS, HEART);
  writeLabels(join(gt, "patientA_frame01_gt.nii.gz"), truth);
  writeLabels(join(gt, "patientA_frame07_gt.nii.gz"), truth);
  // The image beside the truth has values far outside the class list: must not be picked.
  writeNifti(join(gt, "patientA_frame01.nii.gz"), labelVolume(truth.map((v) => v * 50 + 7), DIMS, SP), { as: "float32" });
  writeLabels(join(pred, "patientA_frame01.nii.gz"), truth);
  writeLabels(join(pred, "patientA_frame07.nii.gz"), paint(DIMS, HEART.slice(0, 2)));
  return { root, pred, gt: join(root, "gt") };
}

test("matches X_gt before X, recursively, with phases from Info.cfg", () => {
  const f = fixtureFolders();
  try {
    const cases = matchCases(f.pred, f.gt);
    assert.deepEqual(cases.map((c) => [c.id, c.phase, c.truth?.endsWith("_gt.nii.gz")]), [
      ["patientA_frame01", "ED", true], ["patientA_frame07", "ES", true],
    ]);
    const report = scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES });
    assert.deepEqual(report.cases[0].dice, { RV: 1, MYO: 1, LV: 1 });
    assert.equal(report.cases[1].dice.LV, 0); // LV missing from the ES prediction
    assert.equal(report.cases[1].hd95_mm.LV, null);
    assert.equal(report.clinical?.subjects[0].subject, "patientA");
    assert.equal(report.clinical?.subjects[0].pred.lv_esv_ml, 0);
    assert.ok((report.clinical?.subjects[0].gt.lv_ef_pct ?? NaN) === 0);
  } finally {
    rmSync(f.root, { recursive: true, force: true });
  }
});

test("phase from an ED/ES token in the name when no Info.cfg applies", () => {
  assert.equal(phaseOf("case7_ES", null, "/nowhere/case7_ES.nii.gz"), "ES");
  assert.equal(phaseOf("case7-ed-x", null, "/nowhere/p.nii.gz"), "ED");
  assert.equal(phaseOf("bedside", null, "/nowhere/p.nii.gz"), null);
});

test("missing truth fails with the case listed, or is skipped and listed with skipMissing", () => {
  const f = fixtureFolders();
  try {
    writeLabels(join(f.pred, "extra_ED.nii.gz"), paint(DIMS, HEART));
    assert.throws(() => scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES }),
      (err: unknown) => err instanceof ScoreInputError && /extra_ED: no truth file/.test(err.message) && err.problems.length === 1);
    const report = scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES, skipMissing: true });
    assert.equal(report.cases.length, 2);
    assert.deepEqual(report.skipped.map((s) => s.id), ["extra_ED"]);
  } finally {
    rmSync(f.root, { recursive: true, force: true });
  }
});

test("shape mismatch and labels outside the class list are errors naming the case, never averaged", () => {
  const f = fixtureFolders();
  try {
    writeLabels(join(f.pred, "patientA_frame01.nii.gz"), new Uint8Array(8 * 10 * 4), [8, 10, 4]);
    writeLabels(join(f.pred, "patientA_frame07.nii.gz"), paint(DIMS, HEART).map((v) => (v === 3 ? 5 : v)));
    assert.throws(() => scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES }), (err: unknown) => {
      assert.ok(err instanceof ScoreInputError);
      assert.equal(err.problems.length, 2);
      assert.match(err.problems[0], /case patientA_frame01: prediction vs truth: shapes differ \(8x10x4 vs 12x10x4\)/);
      assert.match(err.problems[1], /patientA_frame07\.nii\.gz: label 5 at voxel \d+ is outside the class list 0\.\.3/);
      return true;
    });
    // With a class list that allows label 5, the second case is scored but the first still fails.
    assert.throws(() => scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ["bg", "RV", "MYO", "LV", "x", "y"] }), /1 case\(s\)/);
  } finally {
    rmSync(f.root, { recursive: true, force: true });
  }
});

test("ground truth without a prediction fails, listed; with skipMissing it is skipped and listed in the JSON", () => {
  const f = fixtureFolders();
  try {
    rmSync(join(f.pred, "patientA_frame07.nii.gz"));
    assert.throws(() => scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES }), (err: unknown) => {
      assert.ok(err instanceof ScoreInputError);
      assert.equal(err.problems.length, 1);
      assert.match(err.problems[0], /patientA_frame07: no prediction patientA_frame07\.nii\.gz under .* for ground truth .*patientA_frame07_gt\.nii\.gz \(use --skip-missing/);
      return true;
    });
    const report = scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES, skipMissing: true });
    assert.deepEqual(report.cases.map((c) => c.id), ["patientA_frame01"]);
    assert.deepEqual(report.skipped.map((s) => s.id), ["patientA_frame07"]);
  } finally {
    rmSync(f.root, { recursive: true, force: true });
  }
});

test("a dangling link among the predictions is reported, not fatal; an Info.cfg that is a folder is named", () => {
  const f = fixtureFolders();
  try {
    symlinkSync(join(f.root, "gone.nii.gz"), join(f.pred, "ghost.nii.gz"));
    assert.throws(() => scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES }), (err: unknown) => {
      assert.ok(err instanceof ScoreInputError);
      assert.deepEqual(err.problems.length, 1);
      assert.match(err.problems[0], /ghost\.nii\.gz: dangling symbolic link/);
      return true;
    });
    rmSync(join(f.pred, "ghost.nii.gz"));
    rmSync(join(f.gt, "patientA", "Info.cfg"));
    mkdirSync(join(f.gt, "patientA", "Info.cfg"));
    assert.throws(() => scoreFolders({ predDir: f.pred, gtDir: f.gt, classes: ACDC_CLASSES }), /patientA[/\\]Info\.cfg: is a folder, not a file/);
  } finally {
    rmSync(f.root, { recursive: true, force: true });
  }
});
