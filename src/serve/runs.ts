// src/serve/runs.ts — the training runs under --runs for the Runs page: a summary per run, one
// run's curves, scores and best/worst cases (read with src/report's run-folder reader, ranked as
// report.html ranks them), the new lines of a growing metrics.jsonl for live curves, and the
// run's own files (report.html, overlays) through the containment check of paths.ts.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { caseMeanDice, type CaseScores, type ScoreReport } from "../eval/score.js";
import { bestAndWorstCases } from "../report/html.js";
import { RUN_FILES, parseTrainingLog, readRunFolder, type TrainingLog } from "../report/run-folder.js";
import { resolveInside, type Contained } from "./paths.js";
import { minMax } from "../util/array.js";

export interface RunSummary {
  name: string;
  /** Last training iteration logged; null without a log. */
  lastIter: number | null;
  /** Best validation mean Dice in the log. */
  bestValDice: number | null;
  /** Mean Dice of the run's evaluation (eval/scores.json). */
  evalDice: number | null;
  hasReport: boolean;
  /** Last change of metrics.jsonl or scores.json, ms since the epoch. */
  updated: number;
}

export interface CaseView {
  id: string;
  phase: string | null;
  meanDice: number | null;
  dice: Record<string, number | null>;
  /** Paths for GET /api/runs/:name/files/<path>, or null when the overlay is missing. */
  pred: string | null;
  gt: string | null;
}

export interface RunDetail {
  name: string;
  log: TrainingLog | null;
  /** Byte length of metrics.jsonl read so far: ask /events?from= for what follows. */
  logBytes: number;
  scores: Pick<ScoreReport, "classes" | "mean_dice" | "mean_iou" | "overall_acc" | "per_class" | "summary" | "clinical"> | null;
  best: CaseView[];
  worst: CaseView[];
  hasReport: boolean;
}

const SHOW_CASES = 3;

export class RunsFolder {
  constructor(readonly root: string) {}

  /** Sub-folders of the root holding metrics.jsonl or eval/scores.json (symbolic links that leave it are not runs). */
  list(): RunSummary[] {
    if (!existsSync(this.root)) return [];
    const out: RunSummary[] = [];
    for (const name of readdirSync(this.root).sort()) {
      const dir = this.dir(name);
      if (!dir) continue;
      try {
        out.push(summary(name, dir));
      } catch {
        // A run folder being written can be unreadable for a moment; it is listed on the next poll.
      }
    }
    return out;
  }

  /** The real path of run `name`, or null when it is not a run folder inside the root. */
  dir(name: string): string | null {
    if (name.startsWith(".") || name.includes("/")) return null;
    const c = resolveInside(this.root, name, "dir");
    if (!c.ok) return null;
    return existsSync(join(c.path, RUN_FILES.log)) || existsSync(join(c.path, RUN_FILES.scores)) ? c.path : null;
  }

  detail(name: string): RunDetail | null {
    const dir = this.dir(name);
    if (!dir) return null;
    const run = readRunFolder(dir);
    const logBytes = existsSync(join(dir, RUN_FILES.log)) ? statSync(join(dir, RUN_FILES.log)).size : 0;
    const view = (c: CaseScores): CaseView => {
      const rel = (kind: "pred" | "gt"): string | null => (run.overlay(c.id, kind) ? `${RUN_FILES.cases}/${c.id}_${kind}.png` : null);
      const mean = caseMeanDice(c);
      return { id: c.id, phase: c.phase, meanDice: Number.isFinite(mean) ? mean : null, dice: c.dice, pred: rel("pred"), gt: rel("gt") };
    };
    const ranked = run.scores ? bestAndWorstCases(run.scores, SHOW_CASES) : { best: [], worst: [] };
    const s = run.scores;
    return {
      name, log: run.log, logBytes,
      scores: s ? { classes: s.classes, mean_dice: s.mean_dice, mean_iou: s.mean_iou, overall_acc: s.overall_acc, per_class: s.per_class, summary: s.summary, clinical: s.clinical } : null,
      best: ranked.best.map(view), worst: ranked.worst.map(view), hasReport: existsSync(join(dir, RUN_FILES.html)),
    };
  }

  /**
   * Complete lines appended to metrics.jsonl after byte `from`, parsed; `next` is where the
   * following call starts (a torn last line is read again once finished).
   */
  logSince(name: string, from: number): { log: TrainingLog; next: number } | null {
    const dir = this.dir(name);
    if (!dir) return null;
    const path = join(dir, RUN_FILES.log);
    const size = existsSync(path) ? statSync(path).size : 0;
    // A shorter file was rewritten (a new run in the same folder): start again from the top.
    const start = from > size ? 0 : from;
    if (size === start) return { log: parseTrainingLog(""), next: start };
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const text = buf.toString("utf8");
      const end = text.lastIndexOf("\n") + 1;
      return { log: parseTrainingLog(text.slice(0, end)), next: start + Buffer.byteLength(text.slice(0, end)) };
    } finally {
      closeSync(fd);
    }
  }

  /** A file of run `name` by its path inside the run folder. */
  file(name: string, rel: string): Contained {
    const dir = this.dir(name);
    if (!dir) return { ok: false, reason: "missing" };
    return resolveInside(dir, rel, "file");
  }
}

function summary(name: string, dir: string): RunSummary {
  const logPath = join(dir, RUN_FILES.log), scoresPath = join(dir, RUN_FILES.scores);
  const run = readRunFolder(dir);
  const log = run.log;
  const vals = (log?.val ?? []).map((v) => v.val.mean_dice).filter((v): v is number => typeof v === "number");
  const mtime = (p: string): number => (existsSync(p) ? statSync(p).mtimeMs : 0);
  return {
    name,
    // minMax, not Math.max(...): a long log would overflow the call stack.
    lastIter: log && log.train.length + log.val.length > 0 ? minMax([...log.train, ...log.val].map((p) => p.iter))[1] : null,
    bestValDice: vals.length > 0 ? minMax(vals)[1] : null,
    evalDice: run.scores?.mean_dice ?? null,
    hasReport: existsSync(join(dir, RUN_FILES.html)),
    updated: Math.max(mtime(logPath), mtime(scoresPath)),
  };
}
