// trainer.ts owns the training loop: schedule → (iterSize × forward/backward) → optimiser step, with
// logging, periodic validation, checkpoints (see checkpoint.ts for the run-folder layout), resume,
// clean stop on SIGINT/SIGTERM, and a hard stop on a non-finite loss. When to validate, checkpoint
// and stop, and the schedule position, come from a RunPlan (plan.ts): by iteration or by time budget.
// Exact resume (iteration runs) rests on: model + optimiser tensors, the engine's global RNG
// (dropout), the loader's state (order and augmentation draws) and the schedule being a pure
// function of the iteration.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DeepLabV3 } from "../models/index.js";
import type { Batch, CropBatch } from "../data/types.js";
import { Generator, manualSeed, setNumThreads, tensor, tidy, type DeviceLike, type Tensor } from "../tensor/index.js";
import type { Hyper, Optimizer } from "../optim/index.js";
import { writeFileAtomic } from "../util/fs.js";
import type { ExperimentConfig } from "./config.js";
import {
  checkSameArchitecture, checkpointName, loadInitialWeights, loadOptimizerInto, loadWeightsInto, pruneCheckpoints, readSidecar,
  resolveResumePath, saveCheckpoint, type BestScore,
} from "./checkpoint.js";
import { checkpointFinished, makeRunPlan, type Clock, type RunPlan } from "./plan.js";
import { segmentationLoss } from "./losses.js";
import { MetricsLog } from "./metrics-log.js";
import { applyLrFactor, buildOptimizer, type ScheduledOptimizer } from "./optimizer.js";
import { makeProgress, type ProgressMode, type ProgressReporter } from "./progress.js";
import { foregroundMeanDice, validate, valLine, type ValidationSource } from "./validate.js";
import { writeCurves } from "./curves.js";
import { batchTensors } from "./augment.js";

/** Where training batches come from (rendered, or crops augmented on the device by src/train/augment.ts);
 *  state()/restore() make the data order resumable. */
export interface BatchSource {
  next(): Batch | CropBatch | Promise<Batch | CropBatch>;
  state(): unknown;
  restore(state: unknown): void;
}

export interface TrainerOptions {
  config: ExperimentConfig;
  runDir: string;
  train: BatchSource;
  validation?: ValidationSource | null;
  classNames: readonly string[];
  /** Per-class loss weights (from src/data/frequencies.ts), or null. */
  classWeights?: readonly number[] | null;
  /** Run folder, checkpoint .json or .safetensors to resume from. */
  resume?: string | null;
  progress?: ProgressMode;
  log?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
  /** Stop (writing a checkpoint, as on SIGINT) once this many iterations are done — tests use it. */
  stopAfter?: number;
  /** Start from these weights (train --init: a cardioseg weights file; architecture checked, optimiser fresh). */
  init?: string | null;
  /** Milliseconds (default performance.now): the clock time-budget runs follow; tests inject one. */
  clock?: Clock;
}

export type StopReason = "done" | "signal" | "stopAfter";

export interface TrainResult {
  iter: number;
  stoppedBy: StopReason;
  best: BestScore | null;
  runDir: string;
  elapsedS: number;
}

export class NonFiniteLossError extends Error {}

export class Trainer {
  readonly config: ExperimentConfig;
  readonly model: DeepLabV3;
  readonly opt: ScheduledOptimizer;
  readonly runDir: string;
  private readonly device: DeviceLike;
  private readonly weight: Tensor | null;
  /** Dropout's random source, owned here so checkpoints capture it. */
  private readonly dropoutRng: Generator;
  private readonly metrics: MetricsLog;
  private readonly log: (line: string) => void;
  private iter = 0;
  private best: BestScore | null = null;
  private elapsedBefore = 0;
  private finishedBefore = false;
  private readonly clock: Clock;
  private stopRequested: NodeJS.Signals | null = null;

  constructor(private readonly o: TrainerOptions) {
    this.config = o.config;
    this.runDir = o.runDir;
    this.device = o.config.device;
    this.log = o.log ?? ((line) => process.stderr.write(`${line}\n`));
    if (o.config.threads > 0) setNumThreads(o.config.threads);
    manualSeed(o.config.seed);
    this.dropoutRng = new Generator(o.config.seed);
    this.model = new DeepLabV3(o.config.model, { dropoutGenerator: this.dropoutRng });
    if (this.device !== "cpu") this.model.to(this.device);
    if (o.config.channelsLast) this.model.to({ memoryFormat: "channelsLast" });
    this.model.train();
    this.opt = buildOptimizer(this.model, o.config.optim);
    this.weight = o.classWeights ? tensor([...o.classWeights], { dtype: "float32" }).to(this.device).keep() : null;
    this.metrics = new MetricsLog(join(o.runDir, "metrics.jsonl"));
    this.clock = o.clock ?? (() => performance.now());
    if (o.resume) {
      this.restore(o.resume);
      if (o.init) this.log(`--init ${o.init} ignored: resuming, the weights come from the checkpoint`);
    } else if (o.init) {
      loadInitialWeights(this.model, o.init, this.config, this.log);
    }
  }

  get optimizer(): Optimizer<Hyper> {
    return this.opt.optimizer;
  }

  /** Load everything an uninterrupted run would hold at the checkpoint's iteration. */
  private restore(path: string): void {
    const sidecarPath = resolveResumePath(path);
    const s = readSidecar(sidecarPath);
    checkSameArchitecture(sidecarPath, s.config.model, this.config.model);
    loadWeightsInto(this.model, join(sidecarPath, "..", s.weights));
    loadOptimizerInto(this.opt.optimizer, sidecarPath, s);
    if (s.rng) this.dropoutRng.setState(new Uint8Array(Buffer.from(s.rng, "base64")));
    this.o.train.restore(s.loader);
    this.iter = s.iter;
    this.best = s.best;
    this.elapsedBefore = s.elapsedS;
    this.finishedBefore = checkpointFinished(s, this.config);
    this.metrics.loadUpTo(s.iter);
    this.log(`resumed from ${sidecarPath} at iteration ${s.iter} (${s.elapsedS.toFixed(0)} s of training so far)`);
  }

  async run(): Promise<TrainResult> {
    const cfg = this.config;
    mkdirSync(join(this.runDir, "checkpoints"), { recursive: true });
    writeFileAtomic(join(this.runDir, "config.json"), `${JSON.stringify(cfg, null, 2)}\n`);
    const plan = makeRunPlan(cfg, {
      iter: this.iter, elapsedBeforeS: this.elapsedBefore, finishedBefore: this.finishedBefore, clock: this.clock, init: this.o.init ?? null,
    });
    this.metrics.pushRunHeader(this.iter, plan.header);
    const length = plan.budgetS !== null ? { budgetS: plan.budgetS } : { totalIters: plan.totalIters as number };
    const progress = makeProgress(this.o.progress ?? "auto", length, this.iter, cfg.train.logEvery, this.log);
    const detach = this.o.handleSignals === false ? () => undefined : this.installSignalHandlers();
    const started = this.clock();
    const startIter = this.iter;
    let windowLoss = 0, windowCount = 0;
    let stoppedBy: StopReason = "done";
    try {
      while (plan.next(this.iter)) {
        const lr = applyLrFactor(this.opt, plan.lrFactor(this.iter));
        const loss = await this.trainStep();
        this.iter++;
        windowLoss += loss; windowCount++;
        const step = plan.after(this.iter);
        const elapsedS = plan.elapsedS();
        const itPerS = (this.iter - startIter) / Math.max((this.clock() - started) / 1000, 1e-9);
        progress.update({ iter: this.iter, loss, lr, itPerS, elapsedS });
        if (this.iter % cfg.train.logEvery === 0 || step.final) {
          const position = plan.kind === "time" ? { progress: round3(plan.progress(this.iter)) } : {};
          this.metrics.push({ iter: this.iter, loss: windowLoss / windowCount, lr, time_s: round3(elapsedS), ...position });
          windowLoss = 0; windowCount = 0;
          this.metrics.flush();
        }
        if (this.o.validation && step.validate) await this.timed(plan, "validation", () => this.runValidation(progress));
        const stop = this.stopRequested ? "signal" : this.o.stopAfter === this.iter ? "stopAfter" : null;
        if (step.checkpoint || stop) await this.timed(plan, "checkpoint", () => this.checkpoint(plan.elapsedS(), step.final));
        if (stop) {
          stoppedBy = stop;
          progress.message(stop === "signal" ? `${this.stopRequested}: checkpoint written at iteration ${this.iter}; stopping` : `stopped after iteration ${this.iter}`);
          break;
        }
        // Yield so signal handlers (and a worker-thread loader) get to run between iterations.
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      progress.stop();
      detach();
    }
    const elapsedS = plan.elapsedS();
    this.metrics.flush();
    writeCurves(this.runDir, this.metrics.lines, this.log);
    return { iter: this.iter, stoppedBy, best: this.best, runDir: this.runDir, elapsedS };
  }

  /** Run `work`, telling the plan how long it took (a time-budget run reserves that much at its end). */
  private async timed(plan: RunPlan, kind: "validation" | "checkpoint", work: () => unknown): Promise<void> {
    const t0 = this.clock();
    await work();
    plan.noteOverhead(kind, (this.clock() - t0) / 1000);
  }

  /** One optimiser step over iterSize batches; returns the mean loss. Throws before stepping on NaN/Inf. */
  private async trainStep(): Promise<number> {
    const cfg = this.config;
    const k = cfg.train.iterSize;
    this.opt.optimizer.zeroGrad();
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const batch = await this.o.train.next();
      const value = tidy(() => this.forwardBackward(batch, 1 / k));
      if (!Number.isFinite(value)) {
        throw new NonFiniteLossError(
          `loss is ${value} at iteration ${this.iter + 1} (batch ${batch.ids.slice(0, 4).join(", ")}): training stopped without `
          + `updating the weights; the last good checkpoint is ${join(this.runDir, "last.json")} (lower optim.lr or check the data)`);
      }
      sum += value;
    }
    this.opt.optimizer.step();
    return sum / k;
  }

  private forwardBackward(batch: Batch | CropBatch, scale: number): number {
    const { loss: lossCfg } = this.config;
    const { images: x, labels: y } = batchTensors(batch, this.device, this.config.model.numClasses);
    const out = this.model.forward(x);
    const weight = this.weight ?? undefined;
    let loss = segmentationLoss(out.out, y, lossCfg, weight);
    if (out.aux) loss = loss.add(segmentationLoss(out.aux, y, lossCfg, weight).mul(lossCfg.auxWeight));
    const value = loss.item();
    if (Number.isFinite(value)) (scale === 1 ? loss : loss.mul(scale)).backward();
    return value;
  }

  private async runValidation(progress: ProgressReporter): Promise<void> {
    const source = this.o.validation;
    if (!source) return;
    const scores = await validate(this.model, source, this.config.model.numClasses, this.config.loss.ignoreIndex, this.device);
    const line = valLine(this.iter, scores, this.o.classNames);
    const fg = foregroundMeanDice(scores);
    line.val.mean_dice_fg = fg;
    this.metrics.push(line);
    this.metrics.flush();
    const perClass = Object.entries(line.val.per_class).slice(1).map(([n, c]) => `${n} ${fmt(c.dice)}`).join("  ");
    progress.message(`val @${this.iter}: mean Dice (fg) ${fmt(fg)}  mean IoU ${fmt(scores.mean_iou)}  acc ${fmt(scores.overall_acc)}  | ${perClass}`);
    if (Number.isFinite(fg) && (!this.best || fg > this.best.meanDice)) {
      this.best = { iter: this.iter, meanDice: fg };
      saveCheckpoint(join(this.runDir, "best"), {
        model: this.model, optimizer: null,
        sidecar: { iter: this.iter, rng: null, loader: null, best: this.best, elapsedS: 0, config: this.config },
      });
    }
  }

  private checkpoint(elapsedS: number, finished: boolean): void {
    const sidecar = {
      iter: this.iter, rng: Buffer.from(this.dropoutRng.getState()).toString("base64"), loader: this.o.train.state(), best: this.best,
      elapsedS: round3(elapsedS), finished, config: this.config,
    };
    const dir = join(this.runDir, "checkpoints");
    saveCheckpoint(join(dir, checkpointName(this.iter)), { model: this.model, optimizer: this.opt.optimizer, sidecar });
    saveCheckpoint(join(this.runDir, "last"), { model: this.model, optimizer: this.opt.optimizer, sidecar });
    pruneCheckpoints(dir, this.config.train.keepLast);
  }

  private installSignalHandlers(): () => void {
    const handler = (sig: NodeJS.Signals): void => {
      if (this.stopRequested) {
        // A second signal means "now": the last complete checkpoint stays valid (atomic writes).
        process.exit(130);
      }
      this.stopRequested = sig;
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    };
  }

  dispose(): void {
    this.weight?.dispose();
    this.opt.optimizer.disposeState();
    this.model.dispose();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : "n/a";
}
