// config.ts owns the experiment configuration: its defaults, loading a YAML (or JSON) file, command-line
// overrides `dotted.key=value`, and validation. Keys unknown to the defaults are errors naming the key,
// so a typo never silently trains the wrong model. The resolved config is what a run folder stores.
import { readFileSync } from "node:fs";
import type { DeviceLike } from "../tensor/index.js";
import { parse as parseYaml } from "yaml";
import { defaultModelConfig, validateModelConfig, type ModelConfig } from "../models/index.js";
import { defaultLossConfig, type LossConfig } from "./losses.js";
import { defaultScheduleConfig, type ScheduleConfig } from "./schedule.js";
import { taskNumClasses } from "../data/tasks.js";
import { parseDuration, timeBudgetS } from "./plan.js";
import { DEFAULT_AUGMENT, validateAugment, type AugmentConfig } from "../data/augment.js";

export interface DataConfig {
  /** Data folder (ACDC, Sunnybrook, generic or synthetic layout); `--data` overrides it. "" = none. */
  root: string;
  /** "synthetic" trains on generated phantoms (demo/tests) instead of reading `root`. */
  source: "folder" | "synthetic";
  /** Synthetic source: number of generated patients and the generator seed. */
  syntheticPatients: number;
  task: "regions" | "contour";
  /** contour task: total band width along each contour, and its unit. */
  bandWidth: number;
  bandUnit: "mm" | "px";
  /** In-plane spacing (mm) slices are resampled to. */
  spacing: number;
  /** Training crop size in pixels (square). */
  cropSize: number;
  /** Patients used for training / validation: id ranges like "001-080" or comma lists; "" = split by valFraction;
   *  valPatients "none" = train on every patient selected, no validation (a final model). */
  trainPatients: string;
  valPatients: string;
  valFraction: number;
  /**
   * Patient-level k-fold cross-validation: with folds >= 2, fold `fold` (0-based) of the data set's
   * patients, stratified by group (ACDC Info.cfg Group) and shuffled by foldSeed, is validation and
   * the rest training; trainPatients/valPatients/valFraction are then not used. 0 = off.
   */
  folds: number;
  fold: number;
  foldSeed: number;
  /** Training augmentation (src/data/augment.ts documents each field); `data.augment=false` switches it off. */
  augment: AugmentConfig;
  /** Slices prepared ahead by the loader. */
  prefetch: number;
}

export interface TrainLoopConfig {
  iterations: number;
  /**
   * Wall-clock length of the run ("60m", "2h", "90s", "1h30m"; "" = none). When set it replaces
   * `iterations`: the schedule follows elapsed / budget and the run ends on time (see plan.ts).
   */
  timeBudget: string;
  batchSize: number;
  /** Gradient accumulation: batches per optimiser step (deeplab-pytorch's ITER_SIZE). */
  iterSize: number;
  logEvery: number;
  /** Iteration runs: validate / checkpoint every this many iterations (and at the last one). */
  valEvery: number;
  checkpointEvery: number;
  /** Time-budget runs: validations / checkpoints per run, at k/valCount (k/checkpointCount) of the budget. */
  valCount: number;
  checkpointCount: number;
  /** Periodic checkpoints kept (older ones are deleted; best/last are separate files). */
  keepLast: number;
  /** Validate on at most this many slices (0 = all), to keep validation cheap on a CPU. */
  valMaxSlices: number;
}

export interface OptimConfig {
  name: "sgd" | "adam" | "adamw";
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  betas: [number, number];
  eps: number;
  /** Learning-rate multiplier of the heads vs the backbone (deeplab-pytorch: 10). */
  headLrMult: number;
}

/** How a run on several processes behaves (ignored by a single-process run); see src/distributed. */
export interface DistributedConfig {
  /** BatchNorm layers normalise with the statistics of every process's samples (SyncBatchNorm). */
  syncBatchNorm: boolean;
  /** c10d timeout of the rendezvous and of every collective ("30m", torch's default). */
  timeout: string;
  /** Gradient bucket size in MiB (torch's bucket_cap_mb). */
  bucketCapMB: number;
  /** Start each bucket's allreduce during backward, as soon as its gradients are ready (CPU). */
  overlap: boolean;
  /** Broadcast rank 0's buffers (BatchNorm running statistics) before every forward (torch's default). */
  broadcastBuffers: boolean;
}

export type Precision = "float32" | "bf16-mixed";

export interface ExperimentConfig {
  name: string;
  seed: number;
  /** "cpu" or "cuda" in a config file; a distributed CUDA run trains each process on cuda:LOCAL_RANK. */
  device: DeviceLike;
  /** Intra-op threads (0 = the engine's default). */
  threads: number;
  /** Train with weights and activations in NHWC (channels-last) memory: oneDNN's faster layout on CPU. */
  channelsLast: boolean;
  /**
   * "bf16-mixed": the training forward runs under autocast to bfloat16 (convolutions in bfloat16 with
   * float32 weights, optimiser state and loss: PyTorch Lightning's name), faster where the CPU has
   * AVX512-BF16/AMX or on a GPU; "float32" (the default) everywhere. Validation and inference stay float32.
   */
  precision: Precision;
  model: ModelConfig;
  data: DataConfig;
  train: TrainLoopConfig;
  optim: OptimConfig;
  schedule: ScheduleConfig;
  loss: LossConfig;
  distributed: DistributedConfig;
}

export const defaultExperimentConfig: ExperimentConfig = {
  name: "experiment",
  seed: 1,
  device: "cpu",
  threads: 0,
  channelsLast: true,
  precision: "float32",
  // numClasses 0 = the task's (4 for regions, 2 for contour), filled in by resolveConfig.
  model: { ...defaultModelConfig, numClasses: 0 },
  data: {
    root: "",
    source: "folder",
    syntheticPatients: 12,
    task: "regions",
    bandWidth: 3,
    bandUnit: "mm",
    spacing: 1.25,
    cropSize: 160,
    trainPatients: "",
    valPatients: "",
    valFraction: 0.2,
    folds: 0,
    fold: 0,
    foldSeed: 1,
    augment: structuredClone(DEFAULT_AUGMENT),
    prefetch: 4,
  },
  train: {
    iterations: 1000,
    timeBudget: "",
    batchSize: 8,
    iterSize: 1,
    logEvery: 10,
    valEvery: 250,
    checkpointEvery: 250,
    valCount: 5,
    checkpointCount: 10,
    keepLast: 3,
    valMaxSlices: 0,
  },
  optim: {
    name: "sgd",
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 5e-4,
    nesterov: false,
    betas: [0.9, 0.999],
    eps: 1e-8,
    headLrMult: 10,
  },
  schedule: { ...defaultScheduleConfig },
  loss: { ...defaultLossConfig },
  distributed: { syncBatchNorm: false, timeout: "30m", bucketCapMB: 25, overlap: true, broadcastBuffers: true },
};

/** Fields whose default is null but which may hold a list of positive integers. */
const NULLABLE_INT_LISTS = new Set(["model.atrousRates", "model.multiGrid"]);

const ENUMS: Record<string, readonly (string | number)[]> = {
  device: ["cpu", "cuda"],
  precision: ["float32", "bf16-mixed"],
  "model.arch": ["deeplabv3", "deeplabv3plus"],
  "model.backbone": [18, 34, 50, 101],
  "model.outputStride": [8, 16, 32],
  "model.norm": ["batch", "group"],
  "data.source": ["folder", "synthetic"],
  "data.task": ["regions", "contour"],
  "data.bandUnit": ["mm", "px"],
  "optim.name": ["sgd", "adam", "adamw"],
  "schedule.kind": ["constant", "poly", "two_phase"],
  "loss.name": ["ce", "dice", "dice_ce", "focal"],
  "loss.classWeights": ["none", "inverse", "median"],
  "data.augment.labels": ["nearest", "linear"],
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Merge `patch` into `base` (a copy), checking every key against the defaults' shape and each value's
 * type. `where` names the source in error messages (a file or "command line").
 */
export function mergeConfig(base: ExperimentConfig, patch: unknown, where: string): ExperimentConfig {
  if (!isObject(patch)) throw new Error(`${where}: the config must be a mapping of keys to values`);
  const out = clone(base) as unknown as Record<string, Json>;
  mergeInto(out, patch, "", where);
  return out as unknown as ExperimentConfig;
}

function mergeInto(target: Record<string, Json>, patch: Record<string, Json>, prefix: string, where: string): void {
  for (const [key, value] of Object.entries(patch)) {
    const path = prefix + key;
    if (!(key in target)) throw new Error(`${where}: unknown config key "${path}"${suggest(target, key, prefix)}`);
    const current = target[key];
    // A section with an `enabled` switch also takes a bare boolean: data.augment=false.
    if (isObject(current) && typeof value === "boolean" && typeof current.enabled === "boolean") {
      current.enabled = value;
      continue;
    }
    if (isObject(current)) {
      if (!isObject(value)) throw new Error(`${where}: "${path}" must be a mapping (it has keys ${Object.keys(current).join(", ")})`);
      mergeInto(current, value, `${path}.`, where);
    } else {
      target[key] = checkValue(path, current, value, where);
    }
  }
}

function suggest(target: Record<string, Json>, key: string, prefix: string): string {
  const lower = key.toLowerCase();
  const near = Object.keys(target).filter((k) => k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase()));
  const known = near.length > 0 ? near : Object.keys(target);
  return ` (known keys${prefix ? ` under ${prefix.slice(0, -1)}` : ""}: ${known.join(", ")})`;
}

function checkValue(path: string, current: Json, value: Json, where: string): Json {
  const bad = (want: string): never => {
    throw new Error(`${where}: "${path}" must be ${want}, got ${JSON.stringify(value)}`);
  };
  if (NULLABLE_INT_LISTS.has(path)) {
    if (value === null) return null;
    if (Array.isArray(value) && value.every((v) => typeof v === "number" && Number.isInteger(v) && v > 0)) return value;
    return bad("null or a list of positive integers");
  }
  const allowed = ENUMS[path];
  if (allowed && !allowed.includes(value as string | number)) return bad(`one of ${allowed.join(", ")}`);
  if (Array.isArray(current)) {
    if (!Array.isArray(value) || value.length !== current.length || !value.every((v) => typeof v === "number")) {
      return bad(`a list of ${current.length} numbers`);
    }
    return value;
  }
  if (typeof current !== typeof value) return bad(`a ${typeof current}`);
  if (typeof value === "number" && !Number.isFinite(value)) return bad("a finite number");
  return value;
}

/** Parse `a.b.c=value` (value in YAML syntax: 8, 2.5e-4, true, [1,2,4], null, text). */
export function parseOverride(arg: string): Record<string, Json> {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new Error(`command line: "${arg}" is not a key=value override`);
  const keys = arg.slice(0, eq).trim().split(".");
  if (keys.some((k) => k === "")) throw new Error(`command line: "${arg}" has an empty key segment`);
  const raw = arg.slice(eq + 1);
  let value = parseYaml(raw) as Json;
  // YAML reads "" as null and e.g. "1e-4" as a number already; bare words stay strings.
  if (raw === "") value = "";
  const root: Record<string, Json> = {};
  let node = root;
  keys.slice(0, -1).forEach((k) => { node = (node[k] = {}) as Record<string, Json>; });
  node[keys[keys.length - 1]] = value;
  return root;
}

/** Read a YAML/JSON experiment file into a resolved config (defaults + file), validated. */
export function loadConfigFile(path: string, overrides: readonly string[] = []): ExperimentConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`${path}: cannot read the config file (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new Error(`${path}: not valid YAML (${(err as Error).message})`);
  }
  let cfg = mergeConfig(defaultExperimentConfig, parsed ?? {}, path);
  for (const o of overrides) cfg = mergeConfig(cfg, parseOverride(o), `command line "${o}"`);
  return resolveConfig(cfg);
}

/** Fill derived fields (numClasses from the task) and validate. */
export function resolveConfig(c: ExperimentConfig): ExperimentConfig {
  const out = clone(c);
  if (out.model.numClasses === 0) out.model.numClasses = taskNumClasses({ name: out.data.task });
  validateConfig(out);
  return out;
}

/** Apply overrides to an already-resolved config (e.g. the one saved in a run folder). */
export function applyOverrides(cfg: ExperimentConfig, overrides: readonly string[]): ExperimentConfig {
  let out = cfg;
  for (const o of overrides) out = mergeConfig(out, parseOverride(o), `command line "${o}"`);
  return resolveConfig(out);
}

/** Cross-field checks the per-key types cannot express. */
export function validateConfig(c: ExperimentConfig): void {
  validateModelConfig(c.model);
  const positiveInts: Array<[string, number]> = [
    ["train.iterations", c.train.iterations], ["train.batchSize", c.train.batchSize], ["train.iterSize", c.train.iterSize],
    ["train.logEvery", c.train.logEvery], ["train.valEvery", c.train.valEvery], ["train.checkpointEvery", c.train.checkpointEvery],
    ["train.keepLast", c.train.keepLast], ["data.cropSize", c.data.cropSize],
    ["train.valCount", c.train.valCount], ["train.checkpointCount", c.train.checkpointCount],
  ];
  for (const [k, v] of positiveInts) if (!Number.isInteger(v) || v < 1) throw new Error(`config: "${k}" must be a positive integer, got ${v}`);
  if (!(c.optim.lr > 0)) throw new Error(`config: "optim.lr" must be positive, got ${c.optim.lr}`);
  if (!(c.data.spacing > 0)) throw new Error(`config: "data.spacing" must be positive, got ${c.data.spacing}`);
  const { folds, fold, foldSeed } = c.data;
  if (!Number.isInteger(folds) || folds < 0 || folds === 1) throw new Error(`config: "data.folds" must be 0 (no cross-validation) or an integer >= 2, got ${folds}`);
  if (folds > 0 && !(Number.isInteger(fold) && fold >= 0 && fold < folds)) throw new Error(`config: "data.fold" must be an integer in [0, ${folds - 1}] for ${folds} folds, got ${fold}`);
  if (!Number.isInteger(foldSeed) || foldSeed < 0) throw new Error(`config: "data.foldSeed" must be a non-negative integer, got ${foldSeed}`);
  if (!(c.data.valFraction >= 0 && c.data.valFraction < 1)) throw new Error(`config: "data.valFraction" must be in [0, 1), got ${c.data.valFraction}`);
  const timeRun = timeBudgetS(c) !== null; // parses train.timeBudget, throwing on a bad duration
  if (c.schedule.kind === "two_phase" && !timeRun && !(c.schedule.constantIters >= 0 && c.schedule.constantIters < c.train.iterations)) {
    throw new Error(`config: "schedule.constantIters" (${c.schedule.constantIters}) must be below "train.iterations" (${c.train.iterations}) for two_phase`);
  }
  if (!(c.schedule.constantFraction >= 0 && c.schedule.constantFraction < 1)) {
    throw new Error(`config: "schedule.constantFraction" must be in [0, 1), got ${c.schedule.constantFraction}`);
  }
  validateAugment(c.data.augment, "data.augment");
  const expected = taskNumClasses({ name: c.data.task });
  if (c.model.numClasses !== expected) {
    throw new Error(`config: "model.numClasses" is ${c.model.numClasses} but task "${c.data.task}" has ${expected} classes`);
  }
  if (c.distributed) { // absent from configs saved before the section existed
    parseDuration(c.distributed.timeout, "distributed.timeout");
    if (!(c.distributed.bucketCapMB > 0)) throw new Error(`config: "distributed.bucketCapMB" must be positive, got ${c.distributed.bucketCapMB}`);
  }
}
