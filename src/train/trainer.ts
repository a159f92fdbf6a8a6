// trainer.ts owns the training loop: schedule → (iterSize × forward/backward) → optimiser step, with
// logging, periodic validation, checkpoints (see checkpoint.ts for the run-folder layout), resume,
// clean stop on SIGINT/SIGTERM, and a hard stop on a non-finite loss. When to validate, checkpoint
// and stop, and the schedule position, come from a RunPlan (plan.ts): by iteration or by time budget.
// Exact resume (iteration runs) rests on: model + optimiser tensors, the engine's global RNG
// (dropout), the loader's state (order and augmentation draws) and the schedule being a pure
// function of the iteration.
// The model and optimiser come from outside (model-setup.ts builds them by default). In a
// distributed run (`dist`), the model trains through DistributedDataParallel, rank 0 asks the plan
// and tells the others (continue, learning rate, validate, checkpoint, stop — any rank's signal
// stops every rank), the loss is averaged over the ranks before backward (so a NaN stops all of
// them alike), validation is sharded and its counts summed, and only rank 0 writes the run folder;
// a failure on any rank becomes a DistributedError naming the rank at fault.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DeepLabV3 } from "../models/index.js";
import type { Batch, CropBatch } from "../data/types.js";
import { fromTypedArray, tensor, tidy, type DeviceLike, type Generator, type Tensor } from "../tensor/index.js";
import type { Hyper, Optimizer } from "../optim/index.js";
import { writeFileAtomic } from "../util/fs.js";
import type { ExperimentConfig, Precision } from "./config.js";
import {
  checkSameArchitecture, checkpointName, loadInitialWeights, loadOptimizerInto, loadWeightsInto, pruneCheckpoints, readSidecar,
  resolveResumePath, saveCheckpoint, type BestScore,
} from "./checkpoint.js";
import { checkpointFinished, makeRunPlan, type Clock, type RunPlan } from "./plan.js";
import { modelLoss } from "./losses.js";
import { MetricsLog } from "./metrics-log.js";
import { applyLrFactor, type ScheduledOptimizer } from "./optimizer.js";
import { makeProgress, type ProgressMode, type ProgressReporter } from "./progress.js";
import { foregroundMeanDice, validate, valLine, type ValidationSource } from "./validate.js";
import { writeCurves } from "./curves.js";
import { batchTensors } from "./augment.js";
import { effectivePrecision, trainingForward } from "./forward.js";
import { applyTrainingThreads, buildTrainingModel, type TrainingModel } from "./model-setup.js";
import {
  DistributedDataParallel, allreduceSumWithGrad, convertSyncBatchNorm, sumConfusionAcrossRanks, type DistributedContext,
} from "../distributed/index.js";

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
  /** The model, its dropout generator and optimiser (model-setup.ts); built from the config when absent. */
  model?: TrainingModel;
  /** Membership of a distributed job; null/absent = one process. */
  dist?: DistributedContext | null;
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
  private readonly dist: DistributedContext | null;
  private readonly ddp: DistributedDataParallel<DeepLabV3> | null = null;
  /** Only rank 0 writes the run folder. */
  private readonly writes: boolean;
  /** config.precision, or float32 where the CPU cannot run bfloat16 natively. */
  private readonly precision: Precision;

  constructor(private readonly o: TrainerOptions) {
    this.config = o.config;
    this.runDir = o.runDir;
    this.device = o.config.device;
    this.log = o.log ?? ((line) => process.stderr.write(`${line}\n`));
    const precision = effectivePrecision(o.config.precision ?? "float32", this.device); // absent before the key existed
    this.precision = precision.precision;
    if (precision.note) this.log(precision.note);
    this.dist = o.dist ?? null;
    this.writes = !this.dist || this.dist.isMain;
    if (!o.model) applyTrainingThreads(o.config, this.dist?.localWorldSize ?? 1);
    const built = o.model ?? buildTrainingModel(o.config, this.dist?.rank ?? 0);
    this.model = built.model;
    this.opt = built.opt;
    this.dropoutRng = built.dropoutRng;
    this.weight = o.classWeights ? tensor([...o.classWeights], { dtype: "float32" }).to(this.device).keep() : null;
    this.metrics = new MetricsLog(join(o.runDir, "metrics.jsonl"));
    this.clock = o.clock ?? (() => performance.now());
    if (o.resume) {
      this.restore(o.resume);
      if (o.init) this.log(`--init ${o.init} ignored: resuming, the weights come from the checkpoint`);
    } else if (o.init) {
      loadInitialWeights(this.model, o.init, this.config, this.log);
    }
    if (this.dist) this.ddp = this.wrapDistributed(this.dist);
  }

  /** SyncBatchNorm when configured, then DDP (which starts every rank from rank 0's weights). */
  private wrapDistributed(dist: DistributedContext): DistributedDataParallel<DeepLabV3> {
    const d = this.config.distributed;
    const synced = d.syncBatchNorm ? convertSyncBatchNorm(this.model, dist.group) : 0;
    const ddp = new DistributedDataParallel(this.model, dist, { bucketCapMB: d.bucketCapMB, overlap: d.overlap, broadcastBuffers: d.broadcastBuffers });
    const b = this.config.train.batchSize;
    this.log(`distributed: rank ${dist.rank} of ${dist.worldSize} (${dist.group.backend}), batch ${b} per process, global batch ${b * dist.worldSize}`
      + `${synced ? `, ${synced} SyncBatchNorm layers` : ""}, ${ddp.numBuckets} gradient buckets${ddp.overlap ? " started during backward" : ""}`);
    return ddp;
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
    this.restoreDropoutRng(s.rng, s.rankRngs);
    const savedWorld = s.worldSize ?? 1, world = this.dist?.worldSize ?? 1;
    if (savedWorld !== world) {
      this.log(`resuming a run of ${savedWorld} process(es) on ${world}: global batch ${s.config.train.batchSize * savedWorld} -> `
        + `${this.config.train.batchSize * world}; the data continue where they stopped`);
    }
    this.o.train.restore(s.loader);
    this.iter = s.iter;
    this.best = s.best;
    this.elapsedBefore = s.elapsedS;
    this.finishedBefore = checkpointFinished(s, this.config);
    this.metrics.loadUpTo(s.iter);
    this.log(`resumed from ${sidecarPath} at iteration ${s.iter} (${s.elapsedS.toFixed(0)} s of training so far)`);
  }

  /** Rank r's own dropout state when the checkpoint has one for it (same world size), else rank 0's or a fresh seed. */
  private restoreDropoutRng(rng: string | null, rankRngs: string[] | undefined): void {
    const rank = this.dist?.rank ?? 0;
    const saved = rankRngs && rankRngs.length === (this.dist?.worldSize ?? 1) ? rankRngs[rank] : rank === 0 ? rng : null;
    if (!saved) return; // another world size: ranks > 0 keep their freshly derived seeds
    const state = new Uint8Array(Buffer.from(saved, "base64"));
    try {
      this.dropoutRng.setState(state);
    } catch (err) {
      this.log(`warning: dropout generator state not restored (${(err as Error).message}; saved on another device?)`);
    }
  }

  async run(): Promise<TrainResult> {
    try {
      return await this.runLoop();
    } catch (err) {
      if (this.dist && !(err instanceof NonFiniteLossError)) throw this.dist.explain(`training (iteration ${this.iter + 1})`, err);
      throw err;
    }
  }

  private async runLoop(): Promise<TrainResult> {
    const cfg = this.config;
    if (this.writes) {
      mkdirSync(join(this.runDir, "checkpoints"), { recursive: true });
      writeFileAtomic(join(this.runDir, "config.json"), `${JSON.stringify(cfg, null, 2)}\n`);
    }
    const plan = makeRunPlan(cfg, {
      iter: this.iter, elapsedBeforeS: this.elapsedBefore, finishedBefore: this.finishedBefore, clock: this.clock, init: this.o.init ?? null,
    });
    this.metrics.pushRunHeader(this.iter, plan.header);
    const length = plan.budgetS !== null ? { budgetS: plan.budgetS } : { totalIters: plan.totalIters as number };
    const progress = makeProgress(this.writes ? this.o.progress ?? "auto" : "silent", length, this.iter, cfg.train.logEvery, this.log);
    const detach = this.o.handleSignals === false ? () => undefined : this.installSignalHandlers();
    const started = this.clock();
    const startIter = this.iter;
    let windowLoss = 0, windowCount = 0;
    let stoppedBy: StopReason = "done";
    try {
      for (;;) {
        const go = this.agreeToContinue(plan);
        if (!go.next) break;
        const lr = applyLrFactor(this.opt, go.lrFactor);
        const loss = await this.trainStep();
        this.iter++;
        windowLoss += loss; windowCount++;
        const { step, stop } = this.agreeOnStep(plan);
        const elapsedS = plan.elapsedS();
        const itPerS = (this.iter - startIter) / Math.max((this.clock() - started) / 1000, 1e-9);
        progress.update({ iter: this.iter, loss, lr, itPerS, elapsedS });
        if (this.iter % cfg.train.logEvery === 0 || step.final) {
          const position = plan.kind === "time" ? { progress: round3(plan.progress(this.iter)) } : {};
          this.metrics.push({ iter: this.iter, loss: windowLoss / windowCount, lr, time_s: round3(elapsedS), ...position });
          windowLoss = 0; windowCount = 0;
          if (this.writes) this.metrics.flush();
        }
        if (this.o.validation && step.validate) await this.timed(plan, "validation", () => this.runValidation(progress));
        if (step.checkpoint || stop) await this.timed(plan, "checkpoint", () => this.checkpoint(plan.elapsedS(), step.final));
        if (stop) {
          stoppedBy = stop;
          progress.message(stop === "signal" ? `${this.stopRequested ?? "signal on another rank"}: checkpoint written at iteration ${this.iter}; stopping` : `stopped after iteration ${this.iter}`);
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
    if (this.writes) {
      this.metrics.flush();
      writeCurves(this.runDir, this.metrics.lines, this.log);
    }
    return { iter: this.iter, stoppedBy, best: this.best, runDir: this.runDir, elapsedS };
  }

  /** Whether another iteration runs, and its learning-rate factor: the plan's answer (rank 0's in a distributed run). */
  private agreeToContinue(plan: RunPlan): { next: boolean; lrFactor: number } {
    const mine = !this.dist || this.dist.isMain;
    const next = mine ? plan.next(this.iter) : false;
    const lrFactor = mine && next ? plan.lrFactor(this.iter) : 0;
    if (!this.dist) return { next, lrFactor };
    const [n, f] = this.dist.broadcastNumbers("agreeing on the next iteration", [next ? 1 : 0, lrFactor], 0);
    return { next: n === 1, lrFactor: f };
  }

  /** What follows the iteration just done (rank 0's plan), and whether to stop (a signal on any rank, or stopAfter). */
  private agreeOnStep(plan: RunPlan): { step: { final: boolean; validate: boolean; checkpoint: boolean }; stop: StopReason | null } {
    const mine = !this.dist || this.dist.isMain;
    const s = mine ? plan.after(this.iter) : { final: false, validate: false, checkpoint: false };
    const flags = [s.final, s.validate, s.checkpoint, this.stopRequested !== null, this.o.stopAfter === this.iter].map(Number);
    const all = this.dist ? this.dist.allreduceNumbers("agreeing on the step", flags, "max") : flags;
    const [final, validate, checkpoint, signal, stopAfter] = all.map((v) => v === 1);
    return { step: { final, validate, checkpoint }, stop: signal ? "signal" : stopAfter ? "stopAfter" : null };
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
      // DDP reduces gradients once per step: on the last batch of the accumulation (torch's no_sync before it).
      this.ddp?.prepareForward(i === k - 1);
      const value = tidy(() => this.forwardBackward(batch, 1 / k));
      if (!Number.isFinite(value)) {
        throw new NonFiniteLossError(
          `loss is ${value} at iteration ${this.iter + 1} (batch ${batch.ids.slice(0, 4).join(", ")}): training stopped without `
          + `updating the weights; the last good checkpoint is ${join(this.runDir, "last.json")} (lower optim.lr or check the data)`);
      }
      sum += value;
    }
    this.ddp?.finishGradientSync();
    this.opt.optimizer.step();
    return sum / k;
  }

  private forwardBackward(batch: Batch | CropBatch, scale: number): number {
    const { loss: lossCfg } = this.config;
    const { images: x, labels: y } = batchTensors(batch, this.device, this.config.model.numClasses);
    const forward = { precision: this.precision, device: this.device, channelsLast: this.config.channelsLast };
    const out = trainingForward(this.model, x, forward);
    const weight = this.weight ?? undefined;
    const dist = this.dist;
    const batchSum = dist ? (t: Tensor) => allreduceSumWithGrad(dist.group, t) : undefined; // global batch Dice
    const loss = modelLoss(out, y, lossCfg, weight, batchSum);
    // In a distributed run, the mean over the ranks (the global batch's loss): every rank sees the same value.
    const value = this.dist ? this.dist.allreduceNumbers("averaging the loss", [loss.item()])[0] / this.dist.worldSize : loss.item();
    if (Number.isFinite(value)) (scale === 1 ? loss : loss.mul(scale)).backward();
    return value;
  }

  private async runValidation(progress: ProgressReporter): Promise<void> {
    const source = this.o.validation;
    if (!source) return;
    const dist = this.dist;
    const merge = dist ? (cm: Parameters<typeof sumConfusionAcrossRanks>[1]) => sumConfusionAcrossRanks(dist, cm) : undefined;
    const scores = await validate(this.model, source, this.config.model.numClasses, this.config.loss.ignoreIndex, this.device, merge);
    const line = valLine(this.iter, scores, this.o.classNames);
    const fg = foregroundMeanDice(scores);
    line.val.mean_dice_fg = fg;
    this.metrics.push(line);
    if (this.writes) this.metrics.flush();
    const perClass = Object.entries(line.val.per_class).slice(1).map(([n, c]) => `${n} ${fmt(c.dice)}`).join("  ");
    progress.message(`val @${this.iter}: mean Dice (fg) ${fmt(fg)}  mean IoU ${fmt(scores.mean_iou)}  acc ${fmt(scores.overall_acc)}  | ${perClass}`);
    if (Number.isFinite(fg) && (!this.best || fg > this.best.meanDice)) {
      this.best = { iter: this.iter, meanDice: fg };
      if (this.writes) saveCheckpoint(join(this.runDir, "best"), {
        model: this.model, optimizer: null,
        sidecar: { iter: this.iter, rng: null, loader: null, best: this.best, elapsedS: 0, config: this.config },
      });
    }
  }

  private checkpoint(elapsedS: number, finished: boolean): void {
    const rankRngs = this.dist ? this.gatherDropoutStates(this.dist) : undefined;
    if (!this.writes) return;
    const sidecar = {
      iter: this.iter, rng: Buffer.from(this.dropoutRng.getState()).toString("base64"), loader: this.o.train.state(), best: this.best,
      elapsedS: round3(elapsedS), finished, config: this.config, ...(this.dist ? { worldSize: this.dist.worldSize, rankRngs } : {}),
    };
    const dir = join(this.runDir, "checkpoints");
    saveCheckpoint(join(dir, checkpointName(this.iter)), { model: this.model, optimizer: this.opt.optimizer, sidecar });
    saveCheckpoint(join(this.runDir, "last"), { model: this.model, optimizer: this.opt.optimizer, sidecar });
    pruneCheckpoints(dir, this.config.train.keepLast);
  }

  /** Every rank's dropout generator state (base64), gathered for rank 0's checkpoint. */
  private gatherDropoutStates(dist: DistributedContext): string[] {
    const mine = this.dropoutRng.getState();
    const input = fromTypedArray(mine, [mine.length]);
    const outputs = Array.from({ length: dist.worldSize }, () => fromTypedArray(new Uint8Array(mine.length), [mine.length]));
    try {
      dist.wait("gathering dropout generator states", dist.control.allgather(outputs, input));
      return outputs.map((t) => Buffer.from(t.toArray() as Uint8Array).toString("base64"));
    } finally {
      input.dispose();
      for (const t of outputs) t.dispose();
    }
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
    this.ddp?.dispose();
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
