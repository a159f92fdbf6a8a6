// model-setup.ts owns building what the trainer trains — the model on its device (channels-last when
// configured), its dropout Generator (on the same device: a CPU generator cannot fill a CUDA mask)
// and the scheduled optimiser — so that callers (run.ts, tests, benches) can build, wrap or swap them
// and hand them to the Trainer; and the intra-op thread count of a training process.
import { availableParallelism } from "node:os";
import { DeepLabV3 } from "../models/index.js";
import { Generator, getNumThreads, manualSeed, setNumThreads } from "../tensor/index.js";
import { deriveSeedPath } from "../util/random.js";
import type { ExperimentConfig } from "./config.js";
import { buildOptimizer, type ScheduledOptimizer } from "./optimizer.js";

export interface TrainingModel {
  model: DeepLabV3;
  opt: ScheduledOptimizer;
  /** Dropout's random source, checkpointed with the run. */
  dropoutRng: Generator;
}

// Stream tag of the dropout seeds of ranks > 0 (rank 0 uses the config's seed, as a 1-process run).
const DROPOUT_STREAM = 3;

/** The dropout seed of `rank`: the config's seed on rank 0, a derived one elsewhere (independent masks). */
export function dropoutSeed(seed: number, rank: number): number {
  return rank === 0 ? seed : deriveSeedPath(seed, DROPOUT_STREAM, rank);
}

/** Model, dropout generator and optimiser for `cfg` (global RNG seeded first: initial weights follow cfg.seed). */
export function buildTrainingModel(cfg: ExperimentConfig, rank = 0): TrainingModel {
  manualSeed(cfg.seed);
  const dropoutRng = new Generator(dropoutSeed(cfg.seed, rank), cfg.device);
  const model = new DeepLabV3(cfg.model, { dropoutGenerator: dropoutRng });
  if (cfg.device !== "cpu") model.to(cfg.device);
  if (cfg.channelsLast) model.to({ memoryFormat: "channelsLast" });
  model.train();
  return { model, opt: buildOptimizer(model, cfg.optim), dropoutRng };
}

/**
 * Intra-op threads of a training process: config.threads when set, else the engine's default; with
 * several processes on this machine, at most its cores divided among them (each process taking
 * every core would oversubscribe the machine). Returns the count and says why in `note`.
 */
export function trainingThreads(cfg: ExperimentConfig, localProcesses: number, cores = availableParallelism()): { threads: number; note: string } {
  const wanted = cfg.threads > 0 ? cfg.threads : getNumThreads();
  if (localProcesses <= 1) return { threads: wanted, note: `${wanted} threads` };
  const share = Math.max(1, Math.floor(cores / localProcesses));
  const threads = Math.min(wanted, share);
  return { threads, note: `${threads} threads per process (${cores} cores / ${localProcesses} processes on this machine)` };
}

export function applyTrainingThreads(cfg: ExperimentConfig, localProcesses: number): string {
  const { threads, note } = trainingThreads(cfg, localProcesses);
  if (cfg.threads > 0 || localProcesses > 1) setNumThreads(threads);
  return note;
}
