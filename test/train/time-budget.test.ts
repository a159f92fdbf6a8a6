// Time-budget runs (train.timeBudget) on an injected clock, so nothing here depends on the machine's
// speed: each training batch "takes" one second of the fake clock, validation as long as the test
// says. Checks the schedule by elapsed / budget, validation and checkpoints at fractions of the
// budget, the end on time with the final validation reserved, resume with the remaining budget,
// and the run header in metrics.jsonl. Hand-computed expectations are in the comments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setNumThreads } from "../../src/tensor/index.js";
import type { Batch } from "../../src/data/types.js";
import { applyOverrides, defaultExperimentConfig, loadConfigFile, resolveConfig, type ExperimentConfig } from "../../src/train/config.js";
import { Trainer, type BatchSource } from "../../src/train/trainer.js";
import { checkpointFinished, describeRunLength, parseDuration } from "../../src/train/plan.js";
import { lrFactorAtProgress, defaultScheduleConfig } from "../../src/train/schedule.js";
import { runTraining } from "../../src/train/run.js";

setNumThreads(1);

const H = 16, W = 16, B = 2;

/** A fake millisecond clock the batch source and validation advance. */
class FakeClock {
  ms = 0;
  readonly now = (): number => this.ms;
}

function batch(n: number): Batch {
  const images = new Float32Array(B * H * W), labels = new Uint8Array(B * H * W);
  for (let i = 0; i < images.length; i++) {
    const x = i % W, y = Math.floor(i / W) % H;
    const r = Math.hypot(x - 8, y - 8 - (n % 2));
    labels[i] = r < 3 ? 3 : r < 5 ? 2 : r < 6 ? 1 : 0;
    images[i] = labels[i] * 0.5 + Math.sin(i * 0.37 + n);
  }
  return { images, labels, ids: [`b${n}`], batchSize: B, height: H, width: W };
}

/** Batch n is a pure function of n; each next() costs one second of the fake clock. */
class TimedStream implements BatchSource {
  n = 0;
  constructor(private readonly clock: FakeClock) {}
  next(): Batch {
    this.clock.ms += 1000;
    return batch(this.n++);
  }
  state(): unknown { return { n: this.n }; }
  restore(s: unknown): void { this.n = (s as { n: number }).n; }
}

function timedValidation(clock: FakeClock, seconds: number): { batches: () => Batch[] } {
  return { batches: () => { clock.ms += seconds * 1000; return [batch(0)]; } };
}

function config(over: string[] = []): ExperimentConfig {
  const base = resolveConfig({ ...defaultExperimentConfig, name: "t", seed: 5 });
  return applyOverrides(base, [
    "model.backbone=18", "model.width=4", "model.asppChannels=8", "model.outputStride=16",
    "train.iterations=3", "train.timeBudget=20s", "train.batchSize=2", "train.iterSize=2", "train.logEvery=1",
    "train.valCount=2", "train.checkpointCount=4", "train.keepLast=10",
    "optim.name=sgd", "optim.lr=0.01", "optim.headLrMult=1", "schedule.kind=poly", "schedule.power=0.9", "loss.name=dice_ce", ...over,
  ]);
}

interface Line { iter: number; lr?: number; time_s?: number; progress?: number; val?: unknown; run?: Record<string, unknown> }
const lines = (dir: string): Line[] => readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Line);
const checkpoints = (dir: string): string[] => readdirSync(join(dir, "checkpoints")).filter((f) => f.endsWith(".json")).sort();
const sidecar = (dir: string): { iter: number; elapsedS: number; finished: boolean } => JSON.parse(readFileSync(join(dir, "last.json"), "utf8")) as never;
const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

function trainer(cfg: ExperimentConfig, dir: string, clock: FakeClock, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}): Trainer {
  return new Trainer({
    config: cfg, runDir: dir, train: new TimedStream(clock), validation: timedValidation(clock, 0), classNames: ["bg", "RV", "MYO", "LV"],
    progress: "silent", handleSignals: false, clock: clock.now, log: () => undefined, ...extra,
  });
}

test("a 20 s budget at 2 s per iteration: 10 iterations, lr by elapsed / budget, validation and checkpoints at fractions", async () => {
  const dir = mkdtempSync(join(tmpdir(), "time-"));
  const clock = new FakeClock();
  const t = trainer(config(), dir, clock);
  const r = await t.run();
  t.dispose();
  // After iteration k the clock reads 2k s; the run stops once 2k + 2 > 20, i.e. after k = 10.
  assert.equal(r.iter, 10);
  assert.equal(r.stoppedBy, "done");
  near(r.elapsedS, 20, "elapsed");
  const log = lines(dir);
  assert.deepEqual(log[0], { iter: 0, run: { kind: "time", budget: "20s", budget_s: 20, val_count: 2, checkpoint_count: 4, init: null } });
  const train = log.filter((l) => l.lr !== undefined);
  assert.equal(train.length, 10);
  // The update of iteration i (0-based) is made at elapsed 2i s: lr = 0.01 (1 - 2i/20)^0.9.
  train.forEach((l, i) => {
    near(l.lr!, 0.01 * Math.pow(1 - (2 * i) / 20, 0.9), `lr of iteration ${i + 1}`);
    near(l.time_s!, 2 * (i + 1), `time_s of iteration ${i + 1}`);
    near(l.progress!, (2 * (i + 1)) / 20, `progress of iteration ${i + 1}`);
  });
  // valCount 2: at half the budget (iteration 5, 10 s) and at the end.
  assert.deepEqual(log.filter((l) => l.val).map((l) => l.iter), [5, 10]);
  // checkpointCount 4: first at or after 5 s (iteration 3, 6 s), 10 s (5), 15 s (8: 16 s), and the end.
  assert.deepEqual(checkpoints(dir), ["iter_000003.json", "iter_000005.json", "iter_000008.json", "iter_000010.json"]);
  assert.deepEqual({ ...sidecar(dir) }.finished, true);
});

test("the end is on time: the final validation's measured duration is reserved", async () => {
  const dir = mkdtempSync(join(tmpdir(), "time-val-"));
  const clock = new FakeClock();
  const t = trainer(config(), dir, clock, { validation: timedValidation(clock, 3) });
  const r = await t.run();
  t.dispose();
  // Iterations 1-5 end at 2..10 s; validation at half the budget takes 3 s (13 s). Iteration 6 ends
  // at 15 s (15 + 2 + 3 = 20 fits), iteration 7 at 17 s (17 + 2 + 3 > 20): final validation, 20 s.
  assert.equal(r.iter, 7);
  near(r.elapsedS, 20, "elapsed");
  assert.deepEqual(lines(dir).filter((l) => l.val).map((l) => l.iter), [5, 7]);
});

test("resume keeps the remaining budget and the schedule position", async () => {
  const whole = mkdtempSync(join(tmpdir(), "time-a-")), parts = mkdtempSync(join(tmpdir(), "time-b-"));
  const ca = new FakeClock();
  const a = trainer(config(), whole, ca);
  await a.run();
  a.dispose();

  const c1 = new FakeClock();
  const b1 = trainer(config(), parts, c1, { stopAfter: 4 });
  const r1 = await b1.run();
  b1.dispose();
  assert.equal(r1.stoppedBy, "stopAfter");
  near(sidecar(parts).elapsedS, 8, "elapsed at the stop");
  // A later session: its clock starts anywhere; 12 s of the budget are left.
  const c2 = new FakeClock();
  c2.ms = 5_000_000;
  const b2 = trainer(config(), parts, c2, { resume: parts });
  const r2 = await b2.run();
  b2.dispose();
  assert.equal(r2.iter, 10);
  near(r2.elapsedS, 20, "elapsed after resume");
  const lr = (dir: string): number[] => lines(dir).filter((l) => l.lr !== undefined).map((l) => l.lr!);
  assert.deepEqual(lr(parts), lr(whole));
  assert.deepEqual(lines(parts).filter((l) => l.val).map((l) => l.iter), [5, 10]);
  assert.equal(lines(parts).filter((l) => l.run).length, 1, "one run header");

  // A finished run resumed again does nothing; a larger budget continues it.
  const c3 = new FakeClock();
  const again = trainer(config(), parts, c3, { resume: parts });
  assert.equal((await again.run()).iter, 10);
  again.dispose();
  const longer = trainer(config(["train.timeBudget=30s"]), parts, c3, { resume: parts });
  const r4 = await longer.run();
  longer.dispose();
  assert.ok(r4.iter > 10, `continued to ${r4.iter}`);
  assert.equal(lines(parts).filter((l) => l.run).length, 2, "the new budget is recorded");
});

test("parseDuration reads h/m/s and refuses anything else, naming the field", () => {
  assert.equal(parseDuration("60m"), 3600);
  assert.equal(parseDuration("2h"), 7200);
  assert.equal(parseDuration("90s"), 90);
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration("1.5h"), 5400);
  for (const bad of ["60", "m", "60x", "-5m", "0m", "1h 2", ""]) assert.throws(() => parseDuration(bad), /train\.timeBudget/, bad);
  assert.throws(() => config(["train.timeBudget=soon"]), /"train\.timeBudget" must be a duration/);
});

test("lrFactorAtProgress: poly, two_phase at constantFraction, warmup by optimiser steps", () => {
  const s = { ...defaultScheduleConfig, kind: "poly" as const, power: 0.9 };
  near(lrFactorAtProgress(0, 0, s), 1, "start");
  near(lrFactorAtProgress(0.5, 7, s), 0.5 ** 0.9, "half");
  near(lrFactorAtProgress(1.2, 7, s), 0, "past the end clamps");
  const two = { ...s, kind: "two_phase" as const, constantFraction: 0.6 };
  near(lrFactorAtProgress(0.59, 3, two), 1, "constant phase");
  near(lrFactorAtProgress(0.8, 3, two), 0.5 ** 0.9, "half-way through the poly phase");
  near(lrFactorAtProgress(0.5, 2, { ...s, warmupIters: 4, warmupFactor: 0 }), 0.5 * 0.5 ** 0.9, "warmup x poly");
});

test("the log and checkpointFinished tell the two kinds of run apart", async () => {
  const preset = loadConfigFile(new URL("../../../configs/acdc-cpu.yaml", import.meta.url).pathname);
  assert.equal(preset.train.timeBudget, "60m");
  assert.match(describeRunLength(preset), /time budget of 60m .*replaces train\.iterations/);
  assert.equal(describeRunLength(config(["train.timeBudget="])), "3 iterations");
  const cfg = config();
  assert.equal(checkpointFinished({ iter: 4, finished: true, config: cfg }, cfg), true);
  assert.equal(checkpointFinished({ iter: 4, finished: false, config: cfg }, cfg), false);
  assert.equal(checkpointFinished({ iter: 4, finished: true, config: cfg }, config(["train.timeBudget=1m"])), false);
  assert.equal(checkpointFinished({ iter: 3, config: cfg }, config(["train.timeBudget="])), true);

  // End to end through runTraining: the log names the budget.
  const logged: string[] = [];
  let ms = 0;
  const out = mkdtempSync(join(tmpdir(), "time-run-"));
  const tiny = new URL("../../../configs/test-tiny.yaml", import.meta.url).pathname;
  const r = await runTraining({
    config: tiny, out, overrides: ["train.timeBudget=5s", "train.valCount=1", "train.checkpointCount=1"], progress: "silent",
    handleSignals: false, log: (l) => logged.push(l), clock: () => (ms += 250),
  });
  assert.equal(r.stoppedBy, "done");
  assert.ok(logged.some((l) => /time budget of 5s .*replaces train\.iterations=6/.test(l)), logged.join("\n"));
  assert.equal(lines(out)[0].run?.kind, "time");
  assert.equal(sidecar(out).finished, true);
});
