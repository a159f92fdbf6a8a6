// run.ts owns one complete training run as the CLI starts it: resolve the config (file + overrides +
// flags), check everything (data, resume checkpoint architecture) before any training, build the
// data, train, close the loader. Kept apart from the CLI so the demo and tests can call it too.
// Started by `train --nproc`, torchrun or SLURM (src/distributed/env.ts reads which), it joins the
// job first, then builds its shard of the data and the model, and trains with the others.
import { join } from "node:path";
import { cudaIsAvailable } from "../tensor/index.js";
import { applyOverrides, loadConfigFile, type ExperimentConfig } from "./config.js";
import { checkSameArchitecture, readSidecar, resolveResumePath, weightsModelConfig } from "./checkpoint.js";
import { readSafetensorsHeader } from "../tensor/safetensors.js";
import { buildTrainingData } from "./data.js";
import { Trainer, type TrainResult } from "./trainer.js";
import { resolveModelPath } from "./model-path.js";
import { describeRunLength, type Clock } from "./plan.js";
import type { ProgressMode } from "./progress.js";
import { applyTrainingThreads, buildTrainingModel } from "./model-setup.js";
import { parseDuration } from "./plan.js";
import { DistributedContext, readDistEnv, type DistEnv } from "../distributed/index.js";

export interface RunOptions {
  config: string;
  data?: string;
  out?: string;
  resume?: string;
  device?: "cpu" | "cuda";
  overrides?: readonly string[];
  progress?: ProgressMode;
  log?: (line: string) => void;
  handleSignals?: boolean;
  stopAfter?: number;
  /** train --init: weights to start from (run folder, .safetensors, or "shipped"). */
  init?: string;
  /** The clock a time-budget run follows (milliseconds; tests inject one). */
  clock?: Clock;
}

export function resolveRunConfig(o: RunOptions): ExperimentConfig {
  const flags: string[] = [];
  if (o.data) flags.push(`data.root=${JSON.stringify(o.data)}`, "data.source=folder");
  if (o.device) flags.push(`device=${o.device}`);
  const cfg = applyOverrides(loadConfigFile(o.config, o.overrides ?? []), flags);
  if (cfg.device === "cuda" && !cudaIsAvailable()) throw new Error("--device cuda: no CUDA device is available to libtorch here");
  return cfg;
}

export async function runTraining(o: RunOptions): Promise<TrainResult> {
  const baseLog = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let cfg = resolveRunConfig(o);
  const runDir = o.out ?? join("runs", cfg.name);
  const env = readDistEnv();
  let resume: string | null = null;
  if (o.resume) {
    // Fail on a foreign or damaged checkpoint before spending minutes loading data; a run folder
    // resumes from its newest checkpoint that verifies (the others are named in warnings). Resolved
    // once here: the trainer gets this sidecar, not the folder. Every rank resolves before the
    // rendezvous, while no rank writes, so all pick the same checkpoint.
    const warn = env && env.rank !== 0 ? (l: string) => baseLog(`[rank ${env.rank}] ${l}`) : baseLog;
    resume = resolveResumePath(o.resume, warn);
    checkSameArchitecture(resume, readSidecar(resume).config.model, cfg.model);
  }
  const init = o.init ? resolveModelPath(o.init) : null;
  if (init) checkInitArchitecture(init, cfg);
  if (env && cfg.device === "cuda") cfg = { ...cfg, device: `cuda:${env.localRank}` };
  const dist = env ? joinJob(env, cfg, baseLog) : null;
  // Ranks > 0 keep quiet but for warnings: rank 0 speaks for the job.
  const log = dist && !dist.isMain ? (l: string) => { if (/^warning/i.test(l)) baseLog(`[rank ${dist.rank}] ${l}`); } : baseLog;
  try {
    const shard = dist ? { rank: dist.rank, worldSize: dist.worldSize } : undefined;
    const data = guard(dist, "building the data", () => buildTrainingData(cfg, log, shard));
    try {
      log(`threads: ${applyTrainingThreads(cfg, dist?.localWorldSize ?? 1)}`);
      const model = guard(dist, "building the model", () => buildTrainingModel(cfg, dist?.rank ?? 0));
      const trainer = new Trainer({
        config: cfg, runDir, train: data.train, validation: data.validation, classNames: data.classNames,
        classWeights: data.classWeights, resume, progress: o.progress, log,
        handleSignals: o.handleSignals, stopAfter: o.stopAfter, init, clock: o.clock, model, dist,
      });
      try {
        log(`training ${cfg.name}: DeepLabV3-ResNet${cfg.model.backbone} (${(trainer.model.numParameters() / 1e6).toFixed(2)} M parameters), ${describeRunLength(cfg)} -> ${runDir}`);
        return await trainer.run();
      } finally {
        trainer.dispose();
      }
    } finally {
      await data.train.close();
    }
  } finally {
    dist?.destroy();
  }
}

/** Rendezvous with the other processes of a `train --nproc` / torchrun / SLURM job. */
function joinJob(env: DistEnv, cfg: ExperimentConfig, log: (l: string) => void): DistributedContext {
  const timeoutMs = parseDuration(cfg.distributed.timeout, "distributed.timeout") * 1000;
  if (env.rank === 0) log(`distributed: ${env.worldSize} processes (${env.source}), rendezvous at ${env.masterAddr}:${env.masterPort}, timeout ${cfg.distributed.timeout}`);
  return DistributedContext.init(env, { device: cfg.device, timeoutMs });
}

/** Runs `fn`; in a distributed run, a failure is reported to the other ranks and named. */
function guard<T>(dist: DistributedContext | null, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw dist ? dist.explain(what, err) : err;
  }
}

/** Fail on --init weights of another architecture before loading any data. */
function checkInitArchitecture(weights: string, cfg: ExperimentConfig): void {
  checkSameArchitecture(weights, weightsModelConfig(weights, readSafetensorsHeader(weights).metadata), cfg.model);
}
