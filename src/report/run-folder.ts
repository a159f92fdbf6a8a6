// src/report — the run report: one self-contained offline HTML page (metric tables, sortable
// per-case table, training curves as inline SVG, best/worst overlays as data: URIs) and the
// training curves as a PNG, drawn by a small rasteriser (no chart library, no network).
//
// run-folder.ts owns the layout of a run folder that `cardioseg report RUNDIR` reads (written by
// `cardioseg train` and `cardioseg evaluate`):
//
//   RUNDIR/
//     metrics.jsonl            training log, one JSON object per line:
//                                {"iter": N, "loss": x, "lr": y}             (training steps)
//                                {"iter": N, "val": {"mean_dice": .., "mean_iou": .., ...}}
//                              (other keys are ignored; unreadable lines are skipped and counted)
//     eval/scores.json         the score JSON of src/eval/score.ts (cardioseg score/evaluate)
//     eval/cases/<id>_pred.png prediction overlaid on the image, one per scored case id
//     eval/cases/<id>_gt.png   ground truth overlaid on the same image
//   written by `cardioseg report`:
//     report.html              the page (default; --out to change)
//     curves.png               the training curves (loss; validation metrics)
//
// Every part is optional except that a report needs metrics.jsonl or eval/scores.json.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScoreReport } from "../eval/score.js";

export interface TrainPoint { iter: number; loss?: number; lr?: number }
export interface ValPoint { iter: number; val: Record<string, number> }

export interface TrainingLog {
  train: TrainPoint[];
  val: ValPoint[];
  /** Lines that were not valid JSON objects with a numeric iter (e.g. a torn last line). */
  skippedLines: number;
}

export interface RunFolder {
  dir: string;
  log: TrainingLog | null;
  scores: ScoreReport | null;
  /** Path of a case's overlay PNG, or null when it does not exist. */
  overlay(id: string, kind: "pred" | "gt"): string | null;
}

export const RUN_FILES = {
  log: "metrics.jsonl",
  scores: join("eval", "scores.json"),
  cases: join("eval", "cases"),
  html: "report.html",
  curvesPng: "curves.png",
} as const;

export function readRunFolder(dir: string): RunFolder {
  if (!existsSync(dir)) throw new Error(`${dir}: run folder not found`);
  const logPath = join(dir, RUN_FILES.log), scoresPath = join(dir, RUN_FILES.scores);
  const log = existsSync(logPath) ? parseTrainingLog(readFileSync(logPath, "utf8")) : null;
  const scores = existsSync(scoresPath) ? parseScores(readFileSync(scoresPath, "utf8"), scoresPath) : null;
  if (!log && !scores) throw new Error(`${dir}: neither ${RUN_FILES.log} nor ${RUN_FILES.scores} found; nothing to report`);
  return {
    dir, log, scores,
    overlay: (id, kind) => {
      const p = join(dir, RUN_FILES.cases, `${id}_${kind}.png`);
      return existsSync(p) ? p : null;
    },
  };
}

export function parseTrainingLog(text: string): TrainingLog {
  const log: TrainingLog = { train: [], val: [], skippedLines: 0 };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    let obj: unknown;
    try { obj = JSON.parse(line); } catch { log.skippedLines++; continue; }
    if (!isRecord(obj) || typeof obj.iter !== "number" || !Number.isFinite(obj.iter)) { log.skippedLines++; continue; }
    if (isRecord(obj.val)) {
      const val: Record<string, number> = {};
      for (const [k, v] of Object.entries(obj.val)) if (typeof v === "number" && Number.isFinite(v)) val[k] = v;
      log.val.push({ iter: obj.iter, val });
    }
    const loss = finite(obj.loss), lr = finite(obj.lr);
    if (loss !== undefined || lr !== undefined) log.train.push({ iter: obj.iter, loss, lr });
  }
  return log;
}

function parseScores(text: string, path: string): ScoreReport {
  let obj: unknown;
  try { obj = JSON.parse(text); } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(obj) || !Array.isArray(obj.classes) || !Array.isArray(obj.cases) || !isRecord(obj.per_class)) {
    throw new Error(`${path}: not a cardioseg score file (needs classes, per_class and cases)`);
  }
  return obj as unknown as ScoreReport;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function finite(x: unknown): number | undefined {
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}
