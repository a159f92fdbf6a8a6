// selection.ts owns which patients `cardioseg evaluate` scores: those named by --patients; else,
// when the model was trained on this very data folder, the run's own validation patients (the split
// recomputed exactly as training made it, cross-validation folds included: pass the groups); else all.
import { realpathSync } from "node:fs";
import { dirname, basename, resolve } from "node:path";
import { selectPatients, splitPatients } from "../data/split.js";
import type { ExperimentConfig } from "../train/config.js";
import { splitSpec } from "../train/data.js";

export interface PatientSelection {
  patients: string[];
  /** How they were chosen, for the log and the JSON. */
  how: "given" | "validation" | "all";
}

function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

export function sameFolder(a: string, b: string): boolean {
  return a !== "" && b !== "" && canonical(a) === canonical(b);
}

export function selectEvaluationPatients(all: readonly string[], cfg: ExperimentConfig, dataRoot: string, given?: string,
  groups?: ReadonlyMap<string, string>): PatientSelection {
  if (given !== undefined && given.trim() !== "") return { patients: selectPatients(all, given, "patients"), how: "given" };
  if (cfg.data.source === "folder" && sameFolder(cfg.data.root, dataRoot)) {
    return { patients: [...splitPatients(all, splitSpec(cfg, groups)).val], how: "validation" };
  }
  return { patients: [...new Set(all)].sort(), how: "all" };
}

/** The run folder a model path belongs to: the folder itself, or the folder of a weights file (above checkpoints/). */
export function runDirOf(modelPath: string, isDir: boolean): string {
  if (isDir) return modelPath;
  const d = dirname(modelPath);
  return basename(d) === "checkpoints" ? dirname(d) : d;
}
