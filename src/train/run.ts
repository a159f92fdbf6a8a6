// run.ts owns one complete training run as the CLI starts it: resolve the config (file + overrides +
// flags), check everything (data, resume checkpoint architecture) before any training, build the
// data, train, close the loader. Kept apart from the CLI so the demo and tests can call it too.
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
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const cfg = resolveRunConfig(o);
  const runDir = o.out ?? join("runs", cfg.name);
  if (o.resume) {
    // Fail on a foreign checkpoint before spending minutes loading data.
    const side = resolveResumePath(o.resume);
    checkSameArchitecture(side, readSidecar(side).config.model, cfg.model);
  }
  const init = o.init ? resolveModelPath(o.init) : null;
  if (init) checkInitArchitecture(init, cfg);
  const data = buildTrainingData(cfg, log);
  try {
    const trainer = new Trainer({
      config: cfg, runDir, train: data.train, validation: data.validation, classNames: data.classNames,
      classWeights: data.classWeights, resume: o.resume ?? null, progress: o.progress, log,
      handleSignals: o.handleSignals, stopAfter: o.stopAfter, init, clock: o.clock,
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
}

/** Fail on --init weights of another architecture before loading any data. */
function checkInitArchitecture(weights: string, cfg: ExperimentConfig): void {
  checkSameArchitecture(weights, weightsModelConfig(weights, readSafetensorsHeader(weights).metadata), cfg.model);
}
