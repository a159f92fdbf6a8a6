// Trainer: exact resume (interrupted at k + resumed == uninterrupted), checkpoint files and pruning,
// metrics.jsonl, best-by-validation, NaN stop keeping the last good checkpoint, foreign checkpoints.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setNumThreads, tidy } from "../../src/tensor/index.js";
import { loadSafetensors } from "../../src/tensor/safetensors.js";
import type { Batch } from "../../src/data/types.js";
import { applyOverrides, defaultExperimentConfig, resolveConfig, type ExperimentConfig } from "../../src/train/config.js";
import { NonFiniteLossError, Trainer, type BatchSource } from "../../src/train/trainer.js";
import { cpuHasNativeBf16 } from "../../src/tensor/index.js";

setNumThreads(1); // bitwise-reproducible reductions

const H = 24, W = 24, B = 2;

/** A deterministic stream: batch n is a pure function of n; state is n. */
class Stream implements BatchSource {
  n = 0;
  constructor(private readonly nanAt = -1) {}
  next(): Batch {
    const n = this.n++;
    const images = new Float32Array(B * H * W), labels = new Uint8Array(B * H * W);
    for (let i = 0; i < images.length; i++) {
      const x = i % W, y = Math.floor(i / W) % H;
      const r = Math.hypot(x - 12 - (n % 3), y - 12);
      labels[i] = r < 4 ? 3 : r < 6 ? 2 : r < 8 ? 1 : 0;
      images[i] = n === this.nanAt ? NaN : labels[i] * 0.5 + Math.sin(i * 0.37 + n);
    }
    return { images, labels, ids: [`b${n}`], batchSize: B, height: H, width: W };
  }
  state(): unknown { return { n: this.n }; }
  restore(s: unknown): void { this.n = (s as { n: number }).n; }
}

const validation = { batches: () => [new Stream().next(), new Stream().next()] };

function tinyConfig(over: string[] = []): ExperimentConfig {
  const base = resolveConfig({ ...defaultExperimentConfig, name: "t", seed: 5 });
  return applyOverrides(base, [
    "model.backbone=18", "model.width=4", "model.asppChannels=8", "model.auxLoss=true", "model.outputStride=16", "model.multiGrid=[1,2]",
    "train.iterations=6", "train.batchSize=2", "train.iterSize=2", "train.logEvery=1", "train.valEvery=3", "train.checkpointEvery=2", "train.keepLast=2",
    "optim.name=sgd", "optim.lr=0.02", "schedule.kind=poly", "loss.name=dice_ce", ...over,
  ]);
}

function opts(cfg: ExperimentConfig, runDir: string, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}): ConstructorParameters<typeof Trainer>[0] {
  return { config: cfg, runDir, train: new Stream(), validation, classNames: ["bg", "RV", "MYO", "LV"], progress: "silent", handleSignals: false, ...extra };
}

function weightsOf(t: Trainer): Map<string, Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array> {
  return new Map([...t.model.stateDict()].map(([k, v]) => [k, tidy(() => v.toArray()) as Float32Array]));
}

const trainLines = (dir: string): unknown[] => readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n")
  .map((l) => JSON.parse(l) as Record<string, unknown>).map(({ time_s: _t, ...rest }) => rest);

test("resuming at iteration 3 ends with the same weights as an uninterrupted run", async () => {
  const cfg = tinyConfig();
  const dirA = mkdtempSync(join(tmpdir(), "runA-")), dirB = mkdtempSync(join(tmpdir(), "runB-"));
  const a = new Trainer(opts(cfg, dirA));
  const ra = await a.run();
  assert.equal(ra.iter, 6);
  const wa = weightsOf(a);
  a.dispose();

  const b1 = new Trainer(opts(cfg, dirB, { stopAfter: 3 }));
  const rb1 = await b1.run();
  assert.equal(rb1.stoppedBy, "stopAfter");
  assert.equal(rb1.iter, 3);
  b1.dispose();
  const b2 = new Trainer(opts(cfg, dirB, { resume: dirB }));
  const rb2 = await b2.run();
  assert.equal(rb2.iter, 6);
  const wb = weightsOf(b2);
  b2.dispose();

  assert.equal(wb.size, wa.size);
  for (const [k, va] of wa) assert.deepEqual(wb.get(k), va, `${k} differs after resume`);
  assert.deepEqual(trainLines(dirB), trainLines(dirA));

  // Run-folder layout: config, metrics, last/best, pruned periodic checkpoints (keepLast = 2).
  for (const f of ["config.json", "metrics.jsonl", "last.safetensors", "last.optim.safetensors", "last.json", "best.safetensors"]) {
    assert.ok(existsSync(join(dirA, f)), `missing ${f}`);
  }
  assert.deepEqual(readdirSync(join(dirA, "checkpoints")).filter((f) => f.endsWith(".json")).sort(), ["iter_000004.json", "iter_000006.json"]);
  const val = readFileSync(join(dirA, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { iter: number; val?: { mean_dice: number; per_class: Record<string, unknown> } }).filter((l) => l.val);
  assert.deepEqual(val.map((l) => l.iter), [3, 6]);
  assert.ok(val[0].val!.per_class.LV !== undefined);
  // Weights are PyTorch-loadable names.
  const saved = loadSafetensors(join(dirA, "last.safetensors"));
  assert.ok(saved.tensors.has("backbone.layer1.0.conv1.weight") && saved.tensors.has("aux_classifier.4.bias"));
  for (const t of saved.tensors.values()) t.dispose();
});

const noBf16 = cpuHasNativeBf16() ? false : "this CPU has no AVX512-BF16/AMX: bf16-mixed trains in float32 here";

test("bf16-mixed: float32 weights, exact resume, and weights unlike a float32 run's", { skip: noBf16 }, async () => {
  const dirs = ["f32-", "bf16A-", "bf16B-"].map((p) => mkdtempSync(join(tmpdir(), p)));
  const f32 = new Trainer(opts(tinyConfig(), dirs[0]));
  await f32.run();
  const w32 = weightsOf(f32);
  f32.dispose();
  const cfg = tinyConfig(["precision=bf16-mixed"]);
  const a = new Trainer(opts(cfg, dirs[1]));
  await a.run();
  const wa = weightsOf(a);
  assert.equal(a.model.stateDict().get("backbone.conv1.weight")?.dtype, "float32");
  a.dispose();
  const b1 = new Trainer(opts(cfg, dirs[2], { stopAfter: 3 }));
  await b1.run();
  b1.dispose();
  const b2 = new Trainer(opts(cfg, dirs[2], { resume: dirs[2] }));
  await b2.run();
  const wb = weightsOf(b2);
  b2.dispose();
  for (const [k, va] of wa) assert.deepEqual(wb.get(k), va, `${k} differs after resume`);
  const key = "backbone.conv1.weight";
  assert.notDeepEqual(wa.get(key), w32.get(key), "bfloat16 autocast left the weights as float32 training does");
});

test("a NaN loss stops with a clear message and keeps the last good checkpoint", async () => {
  const cfg = tinyConfig();
  const dir = mkdtempSync(join(tmpdir(), "runNaN-"));
  // iterSize 2: batch 8 is the first batch of iteration 5, after the checkpoint at 4.
  const t = new Trainer(opts(cfg, dir, { train: new Stream(8) }));
  await assert.rejects(t.run(), (e: Error) => e instanceof NonFiniteLossError && /loss is NaN at iteration 5/.test(e.message) && e.message.includes("last.json"));
  t.dispose();
  const last = JSON.parse(readFileSync(join(dir, "last.json"), "utf8")) as { iter: number };
  assert.equal(last.iter, 4);
});

test("resuming with another architecture is refused, naming the field", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runArch-"));
  const t = new Trainer(opts(tinyConfig(["train.iterations=2"]), dir));
  await t.run();
  t.dispose();
  assert.throws(() => new Trainer(opts(tinyConfig(["model.width=8"]), dir, { resume: dir })), /another architecture.*width: 4 vs 8/);
  assert.throws(() => new Trainer(opts(tinyConfig(), join(dir, "nope"), { resume: join(dir, "nope") })), /no such checkpoint/);
});
