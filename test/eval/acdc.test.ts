// Done-when of issue 6: `cardioseg score` on shared ACDC ground truth against a perturbed copy
// (recipe in scripts/fixtures/metrics.py, regenerated here into a temp folder) reproduces the
// values NumPy/SciPy computed independently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNifti } from "../../src/io/nifti/index.js";
import { readLabelVolume } from "../../src/eval/load.js";
import type { ScoreReport } from "../../src/eval/score.js";
import { registerScore } from "../../src/cli/commands/score.js";
import { ACDC, assertMatchesReference, runCommand, perturb, readFixture, type ExpectedReport } from "./helpers.js";

const fixture = readFixture<{ patients: string[]; classes: string[]; expected: ExpectedReport }>("acdc_perturbed.json");

test("cardioseg score on perturbed ACDC ground truth matches the NumPy/SciPy reference", { skip: !existsSync(ACDC) && `${ACDC} absent (shared data not available)` }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "cardioseg-acdc-"));
  try {
    for (const c of fixture.expected.cases) {
      const patient = c.id.split("_")[0];
      const gt = readLabelVolume(join(ACDC, patient, `${c.id}_gt.nii.gz`), fixture.classes.length);
      writeNifti(join(tmp, "pred", `${c.id}.nii.gz`), { ...gt, data: perturb(gt.data, gt.dims) }, { as: "uint8" });
    }
    const json = join(tmp, "scores.json");
    // Only some ACDC cases are predicted: without --skip-missing the others make score fail.
    await assert.rejects(runCommand(registerScore, ["score", "--pred", join(tmp, "pred"), "--gt", ACDC]), /no prediction patient\d+_frame\d+\.nii\.gz under/);
    const stdout = await runCommand(registerScore, ["score", "--pred", join(tmp, "pred"), "--gt", ACDC, "--json", json, "--skip-missing"]);
    assert.match(stdout, /FreqW IoU \(deeplab-pytorch's 'FreqW Acc'\)/);
    assert.match(stdout, /│ Mean Dice +│ 0\.\d{4} │/);
    const report = JSON.parse(readFileSync(json, "utf8")) as ScoreReport;
    assertMatchesReference(report, fixture.expected);
    const truthCases = readdirSync(ACDC).filter((d) => d.startsWith("patient")).length * 2;
    assert.equal(report.skipped.length, truthCases - fixture.expected.cases.length, "every unpredicted ground-truth case is listed");
    assert.ok(report.skipped.every((s) => s.reason.startsWith("no prediction")));
    assert.deepEqual(report.cases.map((c) => c.phase), ["ED", "ES", "ED", "ES", "ED", "ES"]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
