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
import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ScoreReport } from "../eval/score.js";
import { scoreReportSchema } from "../eval/score-schema.js";
import { IoError, readInputText } from "../io/errors.js";
import { MAX_JSON_BYTES, checkJson, fieldPath, parseJsonText } from "../io/json.js";

export interface TrainPoint { iter: number; loss?: number; lr?: number }
export interface ValPoint { iter: number; val: Record<string, number> }

export interface TrainingLog {
  train: TrainPoint[];
  val: ValPoint[];
  /** Lines that were not valid JSON objects with a numeric iter (e.g. a torn last line). */
  skippedLines: number;
  /** Why, for the first few of them: "line 7: loss: expected number". */
  problems: string[];
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
  if (!existsSync(dir)) throw new IoError(dir, "run folder not found");
  const logPath = join(dir, RUN_FILES.log), scoresPath = join(dir, RUN_FILES.scores);
  const log = existsSync(logPath) ? parseTrainingLog(readInputText(logPath, MAX_JSON_BYTES)) : null;
  const scores = existsSync(scoresPath) ? parseScores(readInputText(scoresPath, MAX_JSON_BYTES), scoresPath) : null;
  if (!log && !scores) throw new IoError(dir, `neither ${RUN_FILES.log} nor ${RUN_FILES.scores} found; nothing to report`);
  return {
    dir, log, scores,
    overlay: (id, kind) => {
      const p = join(dir, RUN_FILES.cases, `${id}_${kind}.png`);
      return existsSync(p) ? p : null;
    },
  };
}

/** One metrics.jsonl line: a finite iter; loss/lr numbers (null for NaN); val a map whose numbers are plotted. */
const logLineSchema = z.object({
  iter: z.number().refine(Number.isFinite, "must be a finite number"),
  loss: z.number().nullable().optional(),
  lr: z.number().nullable().optional(),
  val: z.record(z.string(), z.unknown()).optional(),
});

/** Reasons kept for the report; the count covers every skipped line. */
const MAX_LOG_PROBLEMS = 5;

export function parseTrainingLog(text: string): TrainingLog {
  const log: TrainingLog = { train: [], val: [], skippedLines: 0, problems: [] };
  const skip = (line: number, why: string): void => {
    log.skippedLines++;
    if (log.problems.length < MAX_LOG_PROBLEMS) log.problems.push(`line ${line}: ${why}`);
  };
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: unknown;
    try { obj = JSON.parse(line); } catch { skip(i + 1, "not valid JSON"); return; }
    const parsed = logLineSchema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      skip(i + 1, `${fieldPath(issue.path)}: ${issue.message}`);
      return;
    }
    const entry = parsed.data;
    if (entry.val) {
      const val: Record<string, number> = {};
      for (const [k, v] of Object.entries(entry.val)) if (typeof v === "number" && Number.isFinite(v)) val[k] = v;
      log.val.push({ iter: entry.iter, val });
    }
    const loss = finite(entry.loss), lr = finite(entry.lr);
    if (loss !== undefined || lr !== undefined) log.train.push({ iter: entry.iter, loss, lr });
  });
  return log;
}

/** A score JSON (src/eval/score.ts) read back; anything else is an IoError naming the file and field. */
export function parseScores(text: string, path: string): ScoreReport {
  return checkJson(parseJsonText(text, path), scoreReportSchema, path, "cardioseg score file");
}

function finite(x: unknown): number | undefined {
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}
