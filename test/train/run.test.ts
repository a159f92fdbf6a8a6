// End to end on generated phantoms: `train` with configs/test-tiny.yaml, bad input refused before
// training, and the Predictor loading the finished run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTraining } from "../../src/train/run.js";
import { Predictor } from "../../src/infer/predictor.js";
import { generateCase } from "../../src/synth/phantom.js";

const config = new URL("../../../configs/test-tiny.yaml", import.meta.url).pathname;
const quiet = { progress: "silent" as const, handleSignals: false, log: () => undefined };

test("train test-tiny on phantoms, then predict a volume from the run folder", async () => {
  const out = mkdtempSync(join(tmpdir(), "run-"));
  const r = await runTraining({ config, out, ...quiet });
  assert.equal(r.iter, 6);
  for (const f of ["config.json", "metrics.jsonl", "curves.png", "best.safetensors", "last.json", "checkpoints/iter_000006.json"]) assert.ok(existsSync(join(out, f)), f);
  const saved = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { model: { numClasses: number } };
  assert.equal(saved.model.numClasses, 4);

  const p = Predictor.load(out, { flipTTA: true });
  try {
    assert.equal(p.weightsPath, join(out, "best.safetensors"));
    assert.deepEqual(p.classNames, ["background", "RV", "MYO", "LV"]);
    const frame = generateCase(9, 0, 64).frames[0];
    const [nx, ny, nz] = frame.image.dims;
    const vol = p.predictVolume(frame.image);
    assert.deepEqual(vol.dims, [nx, ny, nz]);
    assert.ok(vol.data.every((v) => v < 4));
  } finally {
    p.dispose();
  }
});

test("bad input is refused before training starts", async () => {
  const out = mkdtempSync(join(tmpdir(), "bad-"));
  await assert.rejects(runTraining({ config, out, overrides: ["train.iters=3"], ...quiet }), /unknown config key "train\.iters"/);
  await assert.rejects(runTraining({ config, out, data: join(out, "no-such-dir"), ...quiet }), /not a recognised data set|no-such-dir/);
  await assert.rejects(runTraining({ config, out, resume: join(out, "nothing"), ...quiet }), /no such checkpoint/);
  assert.ok(!existsSync(join(out, "config.json")), "nothing was trained");
  assert.throws(() => Predictor.load(out), /neither best\.safetensors nor last\.safetensors/);
});

test("SIGINT writes a checkpoint and exits cleanly", async () => {
  const out = mkdtempSync(join(tmpdir(), "sig-"));
  const cli = new URL("../../src/cli/main.js", import.meta.url).pathname;
  const child = spawn(process.execPath, [cli, "train", "--config", config, "--out", out, "--progress", "log", "train.iterations=5000", "train.valEvery=5000"]);
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { if (/iter 3\//.test(d.toString())) child.kill("SIGINT"); });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0);
  assert.match(stdout, /stopped at iteration \d+/);
  const last = JSON.parse(readFileSync(join(out, "last.json"), "utf8")) as { iter: number };
  assert.ok(last.iter >= 3 && last.iter < 5000, `checkpoint at ${last.iter}`);
  assert.ok(existsSync(join(out, "checkpoints", `iter_${String(last.iter).padStart(6, "0")}.json`)));
});
