// checkpoint.ts owns the run folder and its checkpoints. Layout of RUNDIR:
//   config.json                         resolved experiment config (what `train` actually ran)
//   metrics.jsonl                       {"iter","loss","lr","time_s"} every logEvery iterations and
//                                       {"iter","val":{"mean_dice","mean_iou","overall_acc","per_class":{..}}}
//   curves.png                          loss and validation metrics against iterations
//   checkpoints/iter_NNNNNN.safetensors model weights (torchvision's state-dict keys; loadable by PyTorch)
//   checkpoints/iter_NNNNNN.optim.safetensors  optimiser state tensors
//   checkpoints/iter_NNNNNN.json        sidecar: iteration, optimiser hyperparameters, RNG + loader state,
//                                       best score so far, elapsed time, whether it is the run's final
//                                       checkpoint ("finished"), config — written LAST, so a
//                                       sidecar's presence means its checkpoint is complete
//   last.{safetensors,optim.safetensors,json}  the latest checkpoint (what --resume RUNDIR picks)
//   best.safetensors (+ best.json)      weights with the best validation mean Dice
// Every file goes through writeFileAtomic; the last `keepLast` periodic checkpoints are kept.
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from "../tensor/safetensors.js";
import type { Hyper, Optimizer, OptimizerMeta } from "../optim/index.js";
import type { DeepLabV3, ModelConfig } from "../models/index.js";
import { writeFileAtomic } from "../util/fs.js";
import type { ExperimentConfig } from "./config.js";

export const CHECKPOINT_FORMAT = "cardioseg-checkpoint-1";

export interface BestScore { iter: number; meanDice: number }

/** Everything besides tensors that exact resume needs. */
export interface CheckpointSidecar {
  format: typeof CHECKPOINT_FORMAT;
  /** Optimiser steps completed; training resumes at this iteration. */
  iter: number;
  weights: string;
  optimizerFile: string | null;
  optimizer: OptimizerMeta | null;
  /** State of the dropout layers' Generator, base64. */
  rng: string | null;
  /** The training loader's state (data order, augmentation RNG). */
  loader: unknown;
  best: BestScore | null;
  /** Training seconds so far (every session; what a time-budget run's position is measured by). */
  elapsedS: number;
  /** Written by the run's final checkpoint (plan.ts decides; absent in older checkpoints). */
  finished?: boolean;
  /** Distributed runs: the number of processes, and each rank's dropout generator state (base64). */
  worldSize?: number;
  rankRngs?: string[];
  config: ExperimentConfig;
}

export function checkpointName(iter: number): string {
  return `iter_${String(iter).padStart(6, "0")}`;
}

/** Metadata stored in each weights file so it can be rebuilt without its run folder. */
function weightsMetadata(cfg: ExperimentConfig, iter: number): Record<string, string> {
  return { format: CHECKPOINT_FORMAT, model: JSON.stringify(cfg.model), config: JSON.stringify(cfg), iter: String(iter) };
}

export interface SaveArgs {
  model: DeepLabV3;
  optimizer: Optimizer<Hyper> | null;
  sidecar: Omit<CheckpointSidecar, "format" | "weights" | "optimizerFile" | "optimizer">;
}

/** Write `<stem>.safetensors`, `<stem>.optim.safetensors` (when an optimiser is given) and `<stem>.json`. */
export function saveCheckpoint(stem: string, a: SaveArgs): void {
  const weights = `${stem}.safetensors`;
  saveSafetensors(weights, a.model.stateDict(), weightsMetadata(a.sidecar.config, a.sidecar.iter));
  let optimizerFile: string | null = null;
  let optimizer: OptimizerMeta | null = null;
  if (a.optimizer) {
    const sd = a.optimizer.stateDict();
    optimizerFile = `${stem}.optim.safetensors`;
    saveSafetensors(optimizerFile, sd.tensors, { format: CHECKPOINT_FORMAT });
    optimizer = sd.meta;
  }
  const sidecar: CheckpointSidecar = {
    format: CHECKPOINT_FORMAT, weights: basename(weights), optimizerFile: optimizerFile && basename(optimizerFile), optimizer, ...a.sidecar,
  };
  writeFileAtomic(`${stem}.json`, JSON.stringify(sidecar, null, 1));
}

/** Delete periodic checkpoints beyond the newest `keep`. */
export function pruneCheckpoints(dir: string, keep: number): void {
  if (!existsSync(dir)) return;
  const stems = readdirSync(dir).filter((f) => /^iter_\d+\.json$/.test(f)).sort().map((f) => f.slice(0, -5));
  for (const stem of stems.slice(0, Math.max(0, stems.length - keep))) {
    // Sidecar first: a checkpoint without its sidecar is incomplete and never resumed from.
    for (const ext of [".json", ".safetensors", ".optim.safetensors"]) rmSync(join(dir, stem + ext), { force: true });
  }
}

/**
 * Resolve what --resume points at: a run folder (its last checkpoint), a sidecar .json, or a weights
 * .safetensors whose sidecar lies next to it. Returns the sidecar path.
 */
export function resolveResumePath(p: string): string {
  if (!existsSync(p)) throw new Error(`${p}: no such checkpoint or run folder`);
  if (statSync(p).isDirectory()) {
    const last = join(p, "last.json");
    if (existsSync(last)) return last;
    throw new Error(`${p}: the run folder has no last.json checkpoint to resume from`);
  }
  if (p.endsWith(".json")) return p;
  if (p.endsWith(".safetensors")) {
    const side = p.replace(/(\.optim)?\.safetensors$/, ".json");
    if (existsSync(side)) return side;
    throw new Error(`${p}: its sidecar ${basename(side)} is missing (the checkpoint is incomplete or weights-only)`);
  }
  throw new Error(`${p}: expected a run folder, a checkpoint .json or a .safetensors file`);
}

export function readSidecar(path: string): CheckpointSidecar {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: not a readable checkpoint sidecar (${(err as Error).message})`);
  }
  const s = raw as Partial<CheckpointSidecar>;
  if (s.format !== CHECKPOINT_FORMAT) throw new Error(`${path}: not a cardioseg checkpoint (format ${String(s.format)})`);
  if (!Number.isInteger(s.iter) || typeof s.weights !== "string" || !s.config) throw new Error(`${path}: checkpoint sidecar lacks iter/weights/config`);
  return s as CheckpointSidecar;
}

/** Fields of two model configs that differ, e.g. ["backbone: 50 vs 101"]. */
export function modelConfigDiff(a: ModelConfig, b: ModelConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ModelConfig>;
  const out: string[] = [];
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(`${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
  return out;
}

/** Throws naming the fields when a checkpoint was trained with another architecture. */
export function checkSameArchitecture(file: string, saved: ModelConfig, current: ModelConfig): void {
  const diff = modelConfigDiff(saved, current);
  if (diff.length > 0) {
    throw new Error(`${file}: checkpoint is from another architecture (checkpoint vs config: ${diff.join("; ")})`);
  }
}

/** Load weights into `model` (strict keys and shapes), freeing the loaded copies. */
export function loadWeightsInto(model: DeepLabV3, weightsPath: string): void {
  const { tensors } = loadSafetensors(weightsPath);
  try {
    model.loadStateDict(tensors, { strict: true });
  } catch (err) {
    throw new Error(`${weightsPath}: ${(err as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Load the optimiser state saved next to a sidecar. */
export function loadOptimizerInto(opt: Optimizer<Hyper>, sidecarPath: string, s: CheckpointSidecar): void {
  if (!s.optimizerFile || !s.optimizer) throw new Error(`${sidecarPath}: this checkpoint has no optimiser state (weights only); cannot resume from it`);
  const file = join(dirname(sidecarPath), s.optimizerFile);
  const { tensors } = loadSafetensors(file);
  try {
    opt.loadStateDict({ tensors, meta: s.optimizer });
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** The model config stored in a weights file's metadata; throws for files cardioseg did not write. */
export function weightsModelConfig(weightsPath: string, meta: Record<string, string>): ModelConfig {
  if (meta.format !== CHECKPOINT_FORMAT || !meta.model) {
    throw new Error(`${weightsPath}: not a cardioseg checkpoint (no model config in its metadata)`);
  }
  return JSON.parse(meta.model) as ModelConfig;
}

/**
 * train --init: load a cardioseg weights file (a run's best/last, a packed or shipped model) into a
 * fresh model, refusing another architecture; the optimiser and the schedule start afresh.
 */
export function loadInitialWeights(model: DeepLabV3, weightsPath: string, cfg: ExperimentConfig, log: (line: string) => void): void {
  const { metadata } = readSafetensorsHeader(weightsPath);
  const saved = weightsModelConfig(weightsPath, metadata);
  checkSameArchitecture(weightsPath, saved, cfg.model);
  loadWeightsInto(model, weightsPath);
  const savedCfg = metadata.config ? (JSON.parse(metadata.config) as ExperimentConfig) : null;
  const notes: string[] = [];
  if (savedCfg && savedCfg.data.spacing !== cfg.data.spacing) notes.push(`data.spacing ${savedCfg.data.spacing} mm there, ${cfg.data.spacing} mm here`);
  if (savedCfg && savedCfg.data.task !== cfg.data.task) notes.push(`task ${savedCfg.data.task} there, ${cfg.data.task} here`);
  log(`initialised from ${weightsPath} (iteration ${metadata.iter ?? "?"}); optimiser and schedule start afresh`
    + (notes.length ? `; warning: ${notes.join(", ")}` : ""));
}
