// checkpoint.ts owns the run folder and its checkpoints. Layout of RUNDIR:
//   config.json                         resolved experiment config (what `train` actually ran)
//   metrics.jsonl                       {"iter","loss","lr","time_s"} every logEvery iterations and
//                                       {"iter","val":{"mean_dice","mean_iou","overall_acc","per_class":{..}}}
//   curves.png                          loss and validation metrics against iterations
//   checkpoints/iter_NNNNNN.safetensors model weights (torchvision's state-dict keys; loadable by PyTorch)
//   checkpoints/iter_NNNNNN.optim.safetensors  optimiser state tensors
//   checkpoints/iter_NNNNNN.json        sidecar: iteration, optimiser hyperparameters, RNG + loader state,
//                                       best score so far, elapsed time, whether it is the run's final
//                                       checkpoint ("finished"), config, the checksums of its
//                                       two tensor files — removed FIRST and written LAST, so a
//                                       sidecar's presence means its checkpoint is complete
//   last.{safetensors,optim.safetensors,json}  the latest checkpoint (what --resume RUNDIR picks)
//   best.safetensors (+ best.json)      weights with the best validation mean Dice
// Every file goes through writeFileAtomic; the last `keepLast` periodic checkpoints are kept.
//
// Integrity: each .safetensors file carries its own SHA-256 (src/tensor/safetensors.ts), the
// sidecar records those digests (so a sidecar never pairs with another save's weights) and ends
// with the SHA-256 of its own text. A flipped byte in any of the three files is refused naming
// the file; `--resume RUNDIR` then falls back to the newest checkpoint that verifies, with a
// warning. A kill at any moment leaves every present sidecar complete and consistent.
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { checkSafetensorsFile, loadSafetensors, readSafetensorsHeader, saveSafetensors } from "../tensor/safetensors.js";
import { removeStaleTemps } from "../util/fs.js";
import type { Hyper, Optimizer, OptimizerMeta } from "../optim/index.js";
import { defaultModelConfig, validateModelConfig, type DeepLabV3, type ModelConfig } from "../models/index.js";
import { writeFileAtomic } from "../util/fs.js";
import type { ExperimentConfig } from "./config.js";
import { readInputText } from "../io/errors.js";
import { MAX_JSON_BYTES, checkJson, parseJsonText } from "../io/json.js";
import { sidecarSchema } from "./checkpoint-schema.js";

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
  /** SHA-256 stored in the weights and optimiser files (absent in checkpoints written before checksums). */
  checksums?: { weights: string; optimizer: string | null };
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

/**
 * Write `<stem>.safetensors`, `<stem>.optim.safetensors` (when an optimiser is given) and
 * `<stem>.json`. The old sidecar goes first and the new one comes last: killed in between, the
 * stem simply has no checkpoint (never a sidecar paired with another save's tensors).
 */
export function saveCheckpoint(stem: string, a: SaveArgs): void {
  const weights = `${stem}.safetensors`;
  rmSync(`${stem}.json`, { force: true });
  const weightsDigest = saveSafetensors(weights, a.model.stateDict(), weightsMetadata(a.sidecar.config, a.sidecar.iter), { checksum: true }) as string;
  let optimizerFile: string | null = null;
  let optimizer: OptimizerMeta | null = null;
  let optimizerDigest: string | null = null;
  if (a.optimizer) {
    const sd = a.optimizer.stateDict();
    optimizerFile = `${stem}.optim.safetensors`;
    optimizerDigest = saveSafetensors(optimizerFile, sd.tensors, { format: CHECKPOINT_FORMAT }, { checksum: true });
    optimizer = sd.meta;
  }
  const sidecar: CheckpointSidecar = {
    format: CHECKPOINT_FORMAT, weights: basename(weights), optimizerFile: optimizerFile && basename(optimizerFile), optimizer, ...a.sidecar,
    checksums: { weights: weightsDigest, optimizer: optimizerDigest },
  };
  writeFileAtomic(`${stem}.json`, sealSidecar(JSON.stringify(sidecar, null, 1)));
}

/** The sidecar text with its own SHA-256 appended as a last "sha256" field. */
function sealSidecar(json: string): string {
  if (!json.endsWith("\n}")) throw new Error("sidecar JSON must end with a closing brace on its own line");
  return `${json.slice(0, -2)},\n "sha256": "${sha256(json)}"\n}\n`;
}

/** The sidecar text without its seal, or null when it has none; a damaged seal is an Error. */
function unsealSidecar(text: string, path: string): string | null {
  const m = /,\n "sha256": "([0-9a-f]{64})"\n\}\n?$/.exec(text);
  if (!m) return null;
  const body = `${text.slice(0, m.index)}\n}`;
  if (sha256(body) !== m[1]) throw new Error(`${path}: checksum mismatch: the checkpoint sidecar is corrupt (a changed or damaged byte)`);
  return body;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
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
 * Resolve what --resume points at: a run folder, a sidecar .json, or a weights .safetensors whose
 * sidecar lies next to it; returns the sidecar path of a checkpoint that verifies (sidecar seal,
 * tensor file checksums, and that the sidecar's digests are those of the files beside it).
 * A run folder resumes from its newest checkpoint that verifies — last, or a periodic one — and
 * every newer one that does not is named through `warn` with the reason.
 */
export function resolveResumePath(p: string, warn: (line: string) => void = () => undefined): string {
  if (!existsSync(p)) throw new Error(`${p}: no such checkpoint or run folder`);
  if (statSync(p).isDirectory()) return newestGoodCheckpoint(p, warn);
  let side: string;
  if (p.endsWith(".json")) side = p;
  else if (p.endsWith(".safetensors")) {
    side = p.replace(/(\.optim)?\.safetensors$/, ".json");
    if (!existsSync(side)) throw new Error(`${p}: its sidecar ${basename(side)} is missing (the checkpoint is incomplete or weights-only)`);
  } else throw new Error(`${p}: expected a run folder, a checkpoint .json or a .safetensors file`);
  verifyCheckpoint(side);
  return side;
}

function newestGoodCheckpoint(runDir: string, warn: (line: string) => void): string {
  const dir = join(runDir, "checkpoints");
  for (const d of [runDir, dir]) removeStaleTemps(d);
  const periodic = existsSync(dir) ? readdirSync(dir).filter((f) => /^iter_\d+\.json$/.test(f)).map((f) => join(dir, f)) : [];
  const candidates = [join(runDir, "last.json"), ...periodic].filter((f) => existsSync(f))
    .map((f) => ({ f, iter: sidecarIter(f) }))
    .sort((a, b) => b.iter - a.iter); // stable: last.json before a periodic one of the same iteration
  if (candidates.length === 0) throw new Error(`${runDir}: the run folder has no checkpoint to resume from (no last.json, no checkpoints/iter_*.json)`);
  const refused: string[] = [];
  for (const c of candidates) {
    try {
      verifyCheckpoint(c.f);
    } catch (err) {
      refused.push((err as Error).message);
      continue;
    }
    for (const r of refused) warn(`warning: ${r}; resuming from an earlier checkpoint`);
    return c.f;
  }
  throw new Error(`${runDir}: no checkpoint verifies: ${refused.join("; ")}`);
}

/** The iteration a sidecar names (-1 when unreadable: tried last, and refused with its reason). */
function sidecarIter(path: string): number {
  try {
    const iter = (JSON.parse(readFileSync(path, "utf8")) as { iter?: unknown }).iter;
    return typeof iter === "number" && Number.isInteger(iter) ? iter : -1;
  } catch {
    return -1;
  }
}

/**
 * Reads a sidecar and checks the whole checkpoint: its seal, the tensor files' own checksums, and
 * that those are the digests the sidecar recorded. Throws naming the file at fault.
 */
export function verifyCheckpoint(sidecarPath: string): CheckpointSidecar {
  const s = readSidecar(sidecarPath);
  const dir = dirname(sidecarPath);
  const files: [string, string | null | undefined][] = [[s.weights, s.checksums?.weights]];
  if (s.optimizerFile) files.push([s.optimizerFile, s.checksums?.optimizer]);
  for (const [name, recorded] of files) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`${file}: missing (named by ${sidecarPath})`);
    const stored = checkSafetensorsFile(file);
    if (s.checksums && stored !== recorded) {
      throw new Error(`${file}: does not belong to ${sidecarPath} (checksum ${String(stored).slice(0, 12)}…, the sidecar records ${String(recorded).slice(0, 12)}…; an interrupted save?)`);
    }
  }
  return s;
}

/**
 * Reads a checkpoint sidecar: its seal (when it has one) is verified, then its fields against the
 * sidecar schema; any problem is an Error naming the file (and the field).
 */
export function readSidecar(path: string): CheckpointSidecar {
  const text = readInputText(path, MAX_JSON_BYTES);
  const body = unsealSidecar(text, path);
  const raw = parseJsonText(body ?? text, path);
  const s = checkJson(raw, sidecarSchema, path, "cardioseg checkpoint sidecar") as unknown as CheckpointSidecar;
  if (body === null && s.checksums) throw new Error(`${path}: checksum missing: the checkpoint sidecar is damaged`);
  return s;
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
  const raw = parseJsonText(meta.model, `${weightsPath} (metadata "model")`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${weightsPath}: metadata "model" is not a model config`);
  const config = { ...defaultModelConfig, ...(raw as Partial<ModelConfig>) };
  try {
    validateModelConfig(config);
  } catch (err) {
    throw new Error(`${weightsPath}: metadata "model": ${(err as Error).message}`);
  }
  return config;
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
  const savedCfg = metadata.config ? (parseJsonText(metadata.config, `${weightsPath} (metadata "config")`) as ExperimentConfig | null) : null;
  const notes: string[] = [];
  if (savedCfg?.data && savedCfg.data.spacing !== cfg.data.spacing) notes.push(`data.spacing ${savedCfg.data.spacing} mm there, ${cfg.data.spacing} mm here`);
  if (savedCfg?.data && savedCfg.data.task !== cfg.data.task) notes.push(`task ${savedCfg.data.task} there, ${cfg.data.task} here`);
  log(`initialised from ${weightsPath} (iteration ${metadata.iter ?? "?"}); optimiser and schedule start afresh`
    + (notes.length ? `; warning: ${notes.join(", ")}` : ""));
}
