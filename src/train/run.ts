// run.ts owns one complete training run as the CLI starts it: resolve the config (file + overrides +
// flags), check everything (data, resume checkpoint architecture) before any training, build the
// data, train, close the loader. Kept apart from the CLI so the demo and tests can call it too.
import { join } from "node:path";
import { cudaIsAvailable } from "../tensor/index.js";
import { applyOverrides, loadConfigFile, type ExperimentConfig } from "./config.js";
import { checkSameArchitecture, readSidecar, resolveResumePath } from "./checkpoint.js";
import { buildTrainingData } from "./data.js";
import { Trainer, type TrainResult } from "./trainer.js";
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
  let resume: string | null = null;
  if (o.resume) {
    // Fail on a foreign or damaged checkpoint before spending minutes loading data; a run folder
    // resumes from its newest checkpoint that verifies (the others are named in warnings).
    resume = resolveResumePath(o.resume, log);
    checkSameArchitecture(resume, readSidecar(resume).config.model, cfg.model);
  }
  const data = buildTrainingData(cfg, log);
  try {
    const trainer = new Trainer({
      config: cfg, runDir, train: data.train, validation: data.validation, classNames: data.classNames,
      classWeights: data.classWeights, resume, progress: o.progress, log,
      handleSignals: o.handleSignals, stopAfter: o.stopAfter,
    });
    try {
      log(`training ${cfg.name}: DeepLabV3-ResNet${cfg.model.backbone} (${(trainer.model.numParameters() / 1e6).toFixed(2)} M parameters), ${cfg.train.iterations} iterations -> ${runDir}`);
      return await trainer.run();
    } finally {
      trainer.dispose();
    }
  } finally {
    await data.train.close();
  }
}
