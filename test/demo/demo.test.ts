// The demo pipeline at a tiny size (--fast): data, training, evaluation on the validation
// patients, one prediction and the report; then a second run reuses everything, and a run stopped
// short of its iterations is resumed rather than restarted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSidecar } from "../../src/train/checkpoint.js";
import { runDemo, defaultDemoOut } from "../../src/infer/demo.js";

const silent = { progress: "silent" as const, log: (): void => undefined };

test("demo --fast: every step's output, then a second run reuses data and training", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "cardioseg-demo-")), "demo");
  const first = await runDemo({ fast: true, out, ...silent });
  assert.equal(first.training, "trained");
  assert.equal(first.dataDir, join(out, "data"));
  assert.equal(readSidecar(join(out, "last.json")).iter, 4);
  assert.equal(first.evaluation.report.evaluation.selection, "validation");
  assert.ok(first.evaluation.report.cases.length >= 2);
  assert.ok(first.evaluation.report.cases.every((c) => first.evaluation.report.evaluation.patients.includes(c.subject)));
  assert.equal(first.prediction.failures.length, 0);
  const predicted = first.prediction.outputs[0];
  assert.ok(existsSync(join(out, "predict", predicted.name, `${predicted.name}_pred.nii.gz`)));
  const html = readFileSync(first.reportPath, "utf8");
  assert.equal(first.reportPath, join(out, "report.html"));
  assert.match(html, /Mean Dice/);
  assert.match(first.table, /Mean IoU/);
  assert.match(first.table, /FreqW IoU/);

  const weights = statSync(join(out, "last.safetensors")).mtimeMs;
  const second = await runDemo({ fast: true, out, ...silent });
  assert.equal(second.training, "reused");
  assert.equal(statSync(join(out, "last.safetensors")).mtimeMs, weights, "the finished run was not retrained");
  assert.deepEqual(second.evaluation.report.evaluation.patients, first.evaluation.report.evaluation.patients);
});

test("demo resumes a run that stopped short of its iterations", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "cardioseg-demo-")), "demo");
  await runDemo({ fast: true, out, iterations: 2, ...silent });
  assert.equal(readSidecar(join(out, "last.json")).iter, 2);
  const r = await runDemo({ fast: true, out, iterations: 3, ...silent });
  assert.equal(r.training, "resumed");
  assert.equal(readSidecar(join(out, "last.json")).iter, 3);
});

test("default run folders and bad arguments", async () => {
  assert.equal(defaultDemoOut({}), join("runs", "demo"));
  assert.equal(defaultDemoOut({ fast: true }), join("runs", "demo-fast"));
  assert.equal(defaultDemoOut({ data: "../shared/data/acdc/" }), join("runs", "demo-acdc"));
  const out = mkdtempSync(join(tmpdir(), "cardioseg-demo-"));
  await assert.rejects(runDemo({ fast: true, out, iterations: 0, ...silent }), /--iterations must be a positive integer/);
  await assert.rejects(runDemo({ data: join(out, "nothing"), out, ...silent }), /not a recognised data set/);
});
