// `cardioseg cv` and `cardioseg ablate` on phantoms written in the ACDC layout, with the tiny
// config (2 iterations per run): stages that resume after an interrupted training, folds that
// partition the patients, the pooled row computed from the per-case scores, refusal of a rerun with
// other settings, and the ablation table over the same validation patients.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { runFolds, type FoldsOptions } from "../../src/experiment/cv.js";
import { runAblation } from "../../src/experiment/ablate.js";
import { TEST_TINY } from "../infer/helpers.js";

let root: string, data: string;
const PATIENTS = Array.from({ length: 6 }, (_, i) => `patient00${i + 1}`);

before(() => {
  root = mkdtempSync(join(tmpdir(), "cardioseg-cv-"));
  data = join(root, "data");
  writeSynthDataset({ out: data, cases: 6, seed: 5, size: 48, preview: false });
});

function options(out: string, logged: string[], extra: Partial<FoldsOptions> = {}): FoldsOptions {
  return {
    config: TEST_TINY, data, out, folds: 2, overrides: ["train.iterations=2", "train.valEvery=2", "train.checkpointEvery=1"],
    progress: "silent", handleSignals: false, log: (l) => logged.push(l), ...extra,
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

test("cv: an interrupted fold resumes, folds partition the patients, the pooled row weighs every case once", async () => {
  const out = join(root, "cv");
  const first: string[] = [];
  const interrupted = await runFolds(options(out, first, { stopAfter: 1 }));
  assert.equal(interrupted.complete, false);
  assert.ok(existsSync(join(out, "fold-0", "last.json")) && !existsSync(join(out, "fold-0", "train-done.json")));

  const second: string[] = [];
  const r = await runFolds(options(out, second));
  assert.equal(r.complete, true);
  assert.ok(second.some((l) => /fold 0: resuming/.test(l)), second.join("\n"));
  const [f0, f1] = r.folds.map((f) => f.report.evaluation.patients);
  assert.deepEqual([...f0, ...f1].sort(), PATIENTS, "each patient validated by exactly one fold");
  assert.equal(f0.length, 3);
  for (const f of r.folds) {
    assert.equal(f.training.iter, 2);
    assert.equal(f.report.evaluation.selection, "validation");
    assert.equal(f.training.load_start.length, 3);
  }
  // The pooled LV ED Dice is the mean over every ED case of both folds.
  const cases = r.folds.flatMap((f) => f.report.cases);
  assert.equal(r.pooled!.cases, 12);
  const lvEd = mean(cases.filter((c) => c.phase === "ED").map((c) => c.dice.LV ?? NaN).filter((d) => !Number.isNaN(d)));
  assert.ok(Math.abs(r.pooled!.dice.LV.ED! - lvEd) < 1e-12);
  assert.equal(r.pooled!.iterations, 4);
  const md = readFileSync(r.summaryMd, "utf8");
  assert.ok(md.includes("| fold | cases | mean Dice | RV ED | RV ES | MYO ED | MYO ES | LV ED | LV ES | HD95 RV mm | HD95 MYO mm | HD95 LV mm | it/s |"), md);
  for (const row of ["| fold 0 |", "| fold 1 |", "| all folds (pooled) |", "HD95 LV mm", "it/s", "load average"]) assert.ok(md.includes(row), row);
  const json = JSON.parse(readFileSync(r.summaryJson, "utf8")) as { rows: unknown[]; pooled: { cases: number } };
  assert.equal(json.rows.length, 2);
  assert.equal(json.pooled.cases, 12);

  // Everything done: a rerun trains and evaluates nothing.
  const marker = statSync(join(out, "fold-1", "train-done.json")).mtimeMs;
  const third: string[] = [];
  await runFolds(options(out, third));
  assert.ok(third.every((l) => /done already/.test(l)), third.join("\n"));
  assert.equal(statSync(join(out, "fold-1", "train-done.json")).mtimeMs, marker);

  await assert.rejects(runFolds(options(out, [], { overrides: ["train.iterations=3"] })), /holds a cross-validation with other settings/);
  await assert.rejects(runFolds(options(join(root, "bad"), [], { only: [2] })), /--fold 2 is not a fold of 2/);
});

test("ablate: each change on the same fold, one table with the difference to the first", async () => {
  const out = join(root, "ablate");
  const changes = join(root, "changes.yaml");
  writeFileSync(changes, "baseline: {}\nno-augment:\n  data.augment: false\nwider:\n  model: { asppChannels: 16 }\n");
  const logged: string[] = [];
  const r = await runAblation({ ...options(out, logged, { folds: 3 }), changes });
  assert.equal(r.complete, true);
  assert.deepEqual(r.rows.map((x) => x.name), ["baseline", "no-augment", "wider"]);
  const patients = ["baseline", "no-augment", "wider"].map((name) =>
    (JSON.parse(readFileSync(join(out, name, "fold-0", "eval", "scores.json"), "utf8")) as { evaluation: { patients: string[] } }).evaluation.patients);
  assert.deepEqual(patients[1], patients[0]);
  assert.deepEqual(patients[2], patients[0]);
  const saved = JSON.parse(readFileSync(join(out, "wider", "fold-0", "config.json"), "utf8")) as { model: { asppChannels: number }; data: { folds: number } };
  assert.equal(saved.model.asppChannels, 16);
  assert.equal(saved.data.folds, 3);
  const md = readFileSync(r.markdown, "utf8");
  assert.match(md, /\| change \| cases \| mean Dice \| Δ vs first \|/);
  assert.match(md, /\| baseline \| 4 \| [\d.]+ \| \+0\.0000 \|/);
  assert.match(md, /no-augment: `data\.augment=false`/);

  writeFileSync(changes, "baseline: {}\ntypo:\n  data.augmnt: false\n");
  await assert.rejects(runAblation({ ...options(join(root, "ablate-bad"), [], { folds: 3 }), changes }), /change "typo": .*unknown config key "data\.augmnt"/);
  assert.ok(!existsSync(join(root, "ablate-bad")), "nothing ran");
});
