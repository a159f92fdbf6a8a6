// plan.ts owns when a training run does what — the schedule position, the validation and checkpoint
// points, and the end — for both kinds of run, so the trainer's loop asks one object and the
// decision lives in one place (in a distributed run, rank 0 asks it and tells the others):
// - iteration run (train.iterations): position = iteration / iterations; validation every valEvery
//   and checkpoint every checkpointEvery iterations, and both at the last one. Pure functions of
//   the iteration, so resume is bit-exact.
// - time-budget run (train.timeBudget, e.g. "60m"; it replaces train.iterations): position =
//   elapsed / budget, where elapsed is the wall clock of the training loop (data waits, validation
//   and checkpoint writing included; building the data and the model before the loop is not) summed
//   over every session of the run. Validation happens each time the position passes k / valCount and
//   a checkpoint each time it passes k / checkpointCount (k = 1, 2, …). The run ends on time: after
//   each iteration it stops when one more iteration, the validations/checkpoint now due and the final
//   validation + checkpoint (durations as last measured) would not fit in the budget, then runs the
//   final validation and checkpoint. A resumed time run keeps its elapsed time (so its remaining
//   budget and its schedule position), but not bit for bit: iterations per second differ.
import type { ExperimentConfig } from "./config.js";
import { lrFactor, lrFactorAtProgress } from "./schedule.js";

export type RunKind = "iterations" | "time";

/** What metrics.jsonl records about the run (its first line, {"iter": 0, "run": header}). */
export interface RunHeader {
  kind: RunKind;
  /** Iteration runs: train.iterations. */
  iterations?: number;
  /** Time runs: train.timeBudget as written, and in seconds. */
  budget?: string;
  budget_s?: number;
  val_count?: number;
  checkpoint_count?: number;
  /** Weights the run started from (train --init), or null. */
  init?: string | null;
}

/** What happens after an iteration. */
export interface StepPlan {
  /** The run's last iteration: validate and checkpoint now, then stop. */
  final: boolean;
  validate: boolean;
  checkpoint: boolean;
}

export interface RunPlan {
  readonly kind: RunKind;
  readonly header: RunHeader;
  /** Learning-rate factor for the update about to be made at 0-based iteration `iter`. */
  lrFactor(iter: number): number;
  /** Whether another iteration runs after `iter` completed ones (it starts the iteration's clock). */
  next(iter: number): boolean;
  /** Called once after each iteration (`iter` = completed iterations). */
  after(iter: number): StepPlan;
  /** Measured duration of a validation or a checkpoint write, for the end-of-budget reserve. */
  noteOverhead(kind: "validation" | "checkpoint", seconds: number): void;
  /** Seconds of training so far, earlier sessions included. */
  elapsedS(): number;
  /** Position in [0, 1]: iteration / iterations, or elapsed / budget. */
  progress(iter: number): number;
  /** Total iterations (iteration runs) or null. */
  readonly totalIters: number | null;
  /** Budget in seconds (time runs) or null. */
  readonly budgetS: number | null;
}

/** Milliseconds from an arbitrary origin (performance.now by default; tests inject their own). */
export type Clock = () => number;

export interface PlanStart {
  /** Iterations completed before this session (resume) — 0 for a fresh run. */
  iter: number;
  /** Training seconds of earlier sessions. */
  elapsedBeforeS: number;
  /** The checkpoint resumed from was the run's final one. */
  finishedBefore: boolean;
  clock: Clock;
  init?: string | null;
}

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** "60m", "2h", "90s", "1h30m", "1.5h" → seconds; throws naming the field on anything else. */
export function parseDuration(text: string, field = "train.timeBudget"): number {
  const t = text.trim().toLowerCase();
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)\s*([hms])/g)];
  const rebuilt = parts.map((m) => m[0]).join("");
  if (parts.length === 0 || rebuilt.replace(/\s+/g, "") !== t.replace(/\s+/g, "")) {
    throw new Error(`config: "${field}" must be a duration like 60m, 2h, 90s or 1h30m, got ${JSON.stringify(text)}`);
  }
  const seconds = parts.reduce((sum, m) => sum + Number(m[1]) * UNIT_SECONDS[m[2]], 0);
  if (!(seconds > 0)) throw new Error(`config: "${field}" must be longer than zero, got ${JSON.stringify(text)}`);
  return seconds;
}

/** The time budget of a config in seconds, or null for an iteration run. */
export function timeBudgetS(cfg: ExperimentConfig): number | null {
  return cfg.train.timeBudget.trim() === "" ? null : parseDuration(cfg.train.timeBudget);
}

/** One line for the log: how long the run is, and that the budget replaces train.iterations. */
export function describeRunLength(cfg: ExperimentConfig): string {
  const budget = timeBudgetS(cfg);
  if (budget === null) return `${cfg.train.iterations} iterations`;
  return `a time budget of ${cfg.train.timeBudget} (${budget} s of wall clock, validation and checkpoints included; `
    + `train.timeBudget replaces train.iterations=${cfg.train.iterations}), ${cfg.train.valCount} validations, `
    + `${cfg.train.checkpointCount} checkpoints`;
}

/**
 * Whether a checkpoint ends its run under `cfg`: an iteration run at train.iterations, a time run
 * when its final checkpoint was written with the same budget (a larger budget continues it).
 */
export function checkpointFinished(s: { iter: number; finished?: boolean; config: ExperimentConfig }, cfg: ExperimentConfig): boolean {
  const budget = timeBudgetS(cfg);
  if (budget === null) return s.iter >= cfg.train.iterations;
  const saved = s.config.train.timeBudget ?? "";
  return s.finished === true && saved.trim() !== "" && parseDuration(saved) === budget;
}

export function makeRunPlan(cfg: ExperimentConfig, start: PlanStart): RunPlan {
  const budget = timeBudgetS(cfg);
  return budget === null ? new IterationPlan(cfg, start) : new TimePlan(cfg, budget, start);
}

class SessionClock {
  private readonly t0: number;
  constructor(private readonly clock: Clock, private readonly beforeS: number) {
    this.t0 = clock();
  }

  elapsedS(): number {
    return this.beforeS + (this.clock() - this.t0) / 1000;
  }
}

class IterationPlan implements RunPlan {
  readonly kind = "iterations";
  readonly header: RunHeader;
  readonly totalIters: number;
  readonly budgetS = null;
  private readonly time: SessionClock;

  constructor(private readonly cfg: ExperimentConfig, start: PlanStart) {
    this.totalIters = cfg.train.iterations;
    this.header = { kind: "iterations", iterations: this.totalIters, init: start.init ?? null };
    this.time = new SessionClock(start.clock, start.elapsedBeforeS);
  }

  lrFactor(iter: number): number {
    return lrFactor(iter, this.totalIters, this.cfg.schedule);
  }

  next(iter: number): boolean {
    return iter < this.totalIters;
  }

  after(iter: number): StepPlan {
    const final = iter === this.totalIters;
    const t = this.cfg.train;
    return { final, validate: final || iter % t.valEvery === 0, checkpoint: final || iter % t.checkpointEvery === 0 };
  }

  noteOverhead(): void {
    // Iteration runs do not budget time.
  }

  elapsedS(): number {
    return this.time.elapsedS();
  }

  progress(iter: number): number {
    return Math.min(1, iter / this.totalIters);
  }
}

class TimePlan implements RunPlan {
  readonly kind = "time";
  readonly header: RunHeader;
  readonly totalIters = null;
  private readonly time: SessionClock;
  private finished: boolean;
  private nextVal: number;
  private nextCheckpoint: number;
  private stepStartS = 0;
  private lastStepS = 0;
  private validationS = 0;
  private checkpointS = 0;

  constructor(private readonly cfg: ExperimentConfig, readonly budgetS: number, start: PlanStart) {
    const t = cfg.train;
    this.header = {
      kind: "time", budget: t.timeBudget, budget_s: budgetS, val_count: t.valCount, checkpoint_count: t.checkpointCount,
      init: start.init ?? null,
    };
    this.time = new SessionClock(start.clock, start.elapsedBeforeS);
    const p = start.elapsedBeforeS / budgetS;
    this.finished = start.finishedBefore || p >= 1;
    this.nextVal = Math.floor(p * t.valCount) + 1;
    this.nextCheckpoint = Math.floor(p * t.checkpointCount) + 1;
  }

  lrFactor(iter: number): number {
    return lrFactorAtProgress(this.time.elapsedS() / this.budgetS, iter, this.cfg.schedule);
  }

  next(): boolean {
    if (this.finished) return false;
    this.stepStartS = this.time.elapsedS();
    return true;
  }

  after(): StepPlan {
    const now = this.time.elapsedS();
    this.lastStepS = now - this.stepStartS;
    const p = now / this.budgetS;
    const t = this.cfg.train;
    const validate = p >= this.nextVal / t.valCount;
    const checkpoint = p >= this.nextCheckpoint / t.checkpointCount;
    const dueNow = (validate ? this.validationS : 0) + (checkpoint ? this.checkpointS : 0);
    const final = now + dueNow + this.lastStepS + this.validationS + this.checkpointS > this.budgetS;
    if (validate) this.nextVal = Math.floor(p * t.valCount) + 1;
    if (checkpoint) this.nextCheckpoint = Math.floor(p * t.checkpointCount) + 1;
    if (final) this.finished = true;
    return { final, validate: validate || final, checkpoint: checkpoint || final };
  }

  noteOverhead(kind: "validation" | "checkpoint", seconds: number): void {
    if (kind === "validation") this.validationS = seconds;
    else this.checkpointS = seconds;
  }

  elapsedS(): number {
    return this.time.elapsedS();
  }

  progress(): number {
    return Math.min(1, this.time.elapsedS() / this.budgetS);
  }
}
