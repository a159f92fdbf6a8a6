// train --init: start from given weights (a run, a packed float16 file), architecture checked
// before any data is read, optimiser and schedule fresh, and recorded in metrics.jsonl.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTraining } from "../../src/train/run.js";
import { Trainer } from "../../src/train/trainer.js";
import { loadConfigFile } from "../../src/train/config.js";
import { buildTrainingData } from "../../src/train/data.js";
import { packWeights } from "../../src/train/pack.js";
import { loadSafetensors } from "../../src/tensor/safetensors.js";
import { noGrad, tidy } from "../../src/tensor/index.js";

const config = new URL("../../../configs/test-tiny.yaml", import.meta.url).pathname;
const quiet = { progress: "silent" as const, handleSignals: false, log: () => undefined };
let source: string;

before(async () => {
  source = mkdtempSync(join(tmpdir(), "init-src-"));
  await runTraining({ config, out: source, ...quiet });
});

/** Max |model tensor - file tensor| over every state-dict entry (file values widened to float32). */
function maxDiff(t: Trainer, file: string): number {
  const { tensors } = loadSafetensors(file);
  let worst = 0;
  noGrad(() => tidy(() => {
    for (const [k, v] of t.model.stateDict()) {
      const f = tensors.get(k)!;
      const d = v.to({ dtype: "float64" }).sub(f.to({ dtype: "float64" })).abs().max().item();
      worst = Math.max(worst, Number(d));
    }
  }));
  for (const x of tensors.values()) x.dispose();
  return worst;
}

test("--init loads the weights (float32 or packed float16) into a fresh run with a fresh optimiser", async () => {
  const cfg = loadConfigFile(config);
  const data = buildTrainingData(cfg);
  const half = join(source, "half.safetensors");
  packWeights(source, half);
  try {
    for (const file of [join(source, "best.safetensors"), half]) {
      const t = new Trainer({
        config: cfg, runDir: mkdtempSync(join(tmpdir(), "init-")), train: data.train, classNames: data.classNames,
        init: file, progress: "silent", handleSignals: false, log: () => undefined,
      });
      assert.equal(maxDiff(t, file), 0, `${file}: weights equal the file's`);
      assert.equal(t.optimizer.stateDict().tensors.size, 0, "no optimiser state carried over");
      t.dispose();
    }
  } finally {
    await data.train.close();
  }
});

test("train --init runs from iteration 0 and records the source in metrics.jsonl", async () => {
  const out = mkdtempSync(join(tmpdir(), "init-run-"));
  const logged: string[] = [];
  const r = await runTraining({ config, out, init: source, overrides: ["train.iterations=2"], ...quiet, log: (l) => logged.push(l) });
  assert.equal(r.iter, 2);
  const header = JSON.parse(readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n")[0]) as { run: { init: string } };
  assert.equal(header.run.init, join(source, "best.safetensors"));
  assert.ok(logged.some((l) => l.startsWith(`initialised from ${join(source, "best.safetensors")}`)), logged.join("\n"));
});

test("--init with another architecture is refused before training, naming the field", async () => {
  const out = mkdtempSync(join(tmpdir(), "init-bad-"));
  await assert.rejects(runTraining({ config, out, init: source, overrides: ["model.width=8"], ...quiet }), /another architecture.*width: 4 vs 8/);
  await assert.rejects(runTraining({ config, out, init: join(out, "missing"), ...quiet }), /no such run folder or checkpoint/);
  assert.ok(!existsSync(join(out, "config.json")), "nothing was trained");
});

test("data.valPatients=none trains on every patient without validation; the run keeps its last weights", async () => {
  const out = mkdtempSync(join(tmpdir(), "no-val-"));
  const logged: string[] = [];
  const r = await runTraining({
    config, out, overrides: ["train.iterations=2", "data.valPatients=none", "data.trainPatients=rest"], ...quiet, log: (l) => logged.push(l),
  });
  assert.equal(r.iter, 2);
  assert.ok(existsSync(join(out, "last.safetensors")));
  assert.ok(!existsSync(join(out, "best.safetensors")), "no validation, so no best checkpoint");
  assert.ok(logged.some((l) => /valPatients is none/.test(l)), logged.join("\n"));
  assert.ok(!readFileSync(join(out, "metrics.jsonl"), "utf8").includes("\"val\""));
});
