// cv.ts owns `cardioseg cv`: patient-level k-fold cross-validation (data.folds / data.fold, split by
// src/data/split.ts, stratified by group) as stages that resume — train each fold, evaluate it on
// its own validation patients, then the summary table. Stop it at any point (Ctrl-C checkpoints the
// training) and run the same command again: finished stages are skipped, an interrupted training
// resumes from its last checkpoint.
//
// Layout of OUT:
//   cv.json                   the settings (config, data, folds, overrides, budget); a rerun with other
//                             settings into the same OUT is refused
//   fold-K/                   fold K's run folder (`cardioseg train`'s layout) with eval/ (`evaluate`'s)
//   fold-K/train-done.json    {"iter", "elapsed_s", "it_per_s", "best", "load_start", "load_end"}:
//                             written when the fold's training finished; the load averages (1, 5 and
//                             15 min, os.loadavg) at the stage's start and end say how busy the machine was
//   cv-summary.md / .json     one row per fold and the pooled row (every validation case once): mean
//                             Dice, Dice per structure at ED and ES, HD95 per structure, it/s
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { readInputText } from "../io/errors.js";
import { MAX_JSON_BYTES, readJsonFile } from "../io/json.js";
import { scoreReportLooseSchema } from "../eval/score-schema.js";
import type { EvaluationReport } from "../infer/evaluate.js";
import { runEvaluate } from "../infer/evaluate.js";
import { loadConfigFile } from "../train/config.js";
import type { ProgressMode } from "../train/progress.js";
import { runTraining } from "../train/run.js";
import { writeFileAtomic } from "../util/fs.js";
import { markdownTable, resultRow, type ResultRow, type TrainingFacts } from "./table.js";

export type Log = (line: string) => void;

export interface FoldsOptions {
  /** Experiment config (YAML) every fold trains. */
  config: string;
  data: string;
  out: string;
  folds: number;
  /** Folds to run (0-based); default every fold. */
  only?: readonly number[];
  /** Config overrides key=value for every fold. */
  overrides?: readonly string[];
  /** train.timeBudget for every fold ("60m"); default the config's. */
  budget?: string;
  lcc?: boolean;
  tta?: boolean;
  progress?: ProgressMode;
  log?: Log;
  handleSignals?: boolean;
  /** Tests: each training stops (as if interrupted) after this many iterations. */
  stopAfter?: number;
}

export interface TrainStage {
  iter: number;
  elapsed_s: number;
  it_per_s: number;
  best: { iter: number; meanDice: number } | null;
  load_start: number[];
  load_end: number[];
}

/** train-done.json, read back when a cross-validation resumes. */
const trainStageSchema: z.ZodType<TrainStage> = z.object({
  iter: z.number().int().nonnegative(),
  elapsed_s: z.number(),
  it_per_s: z.number().nullable().transform((x) => x ?? NaN), // NaN (0 s) was written as null
  best: z.object({ iter: z.number().int().nonnegative(), meanDice: z.number() }).nullable(),
  load_start: z.array(z.number()),
  load_end: z.array(z.number()),
});

export interface FoldResult {
  fold: number;
  dir: string;
  training: TrainStage;
  report: EvaluationReport;
}

export interface CvResult {
  /** Folds whose stages are all done. */
  folds: FoldResult[];
  /** False when a training was interrupted: run the same command again to resume. */
  complete: boolean;
  rows: ResultRow[];
  pooled: ResultRow | null;
  summaryMd: string;
  summaryJson: string;
}

export const foldDir = (out: string, fold: number): string => join(out, `fold-${fold}`);

/** The config overrides that make a run fold `fold` of `folds` (plus the shared ones and the budget). */
export function foldOverrides(o: Pick<FoldsOptions, "folds" | "overrides" | "budget">, fold: number): string[] {
  return [...(o.overrides ?? []), `data.folds=${o.folds}`, `data.fold=${fold}`, ...(o.budget ? [`train.timeBudget=${o.budget}`] : [])];
}

function checkFolds(o: FoldsOptions): number[] {
  if (!Number.isInteger(o.folds) || o.folds < 2) throw new Error(`--folds must be an integer >= 2, got ${o.folds}`);
  const only = o.only ?? Array.from({ length: o.folds }, (_, i) => i);
  for (const k of only) if (!Number.isInteger(k) || k < 0 || k >= o.folds) throw new Error(`--fold ${k} is not a fold of ${o.folds} (0-${o.folds - 1})`);
  // Refuse a bad config or override before any training.
  loadConfigFile(o.config, foldOverrides(o, only[0] ?? 0));
  return [...new Set(only)].sort((a, b) => a - b);
}

/** cv.json: what this OUT holds; the same OUT with other settings would mix two experiments. */
function claimOut(o: FoldsOptions): void {
  const path = join(o.out, "cv.json");
  const settings = { config: resolve(o.config), data: resolve(o.data), folds: o.folds, overrides: [...(o.overrides ?? [])], budget: o.budget ?? null };
  const text = `${JSON.stringify(settings, null, 1)}\n`;
  if (existsSync(path)) {
    const before = readInputText(path, MAX_JSON_BYTES);
    if (before !== text) throw new Error(`${o.out} holds a cross-validation with other settings (${path}: ${before.replace(/\s+/g, " ")}); use another --out`);
    return;
  }
  writeFileAtomic(path, text);
}

const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

/** Train fold `fold` unless its training is done; null when it was interrupted. */
async function trainStage(o: FoldsOptions, fold: number, log: Log): Promise<TrainStage | null> {
  const dir = foldDir(o.out, fold);
  const marker = join(dir, "train-done.json");
  if (existsSync(marker)) {
    log(`fold ${fold}: training done already (${marker})`);
    return readJsonFile(marker, trainStageSchema, "cross-validation stage marker");
  }
  const resume = existsSync(join(dir, "last.json")) ? dir : undefined;
  log(`fold ${fold}: ${resume ? "resuming" : "training"} -> ${dir}`);
  const load_start = load();
  const r = await runTraining({
    config: o.config, data: o.data, out: dir, resume, overrides: foldOverrides(o, fold), progress: o.progress, log,
    handleSignals: o.handleSignals, stopAfter: o.stopAfter,
  });
  if (r.stoppedBy !== "done") {
    log(`fold ${fold}: training stopped at iteration ${r.iter}; run the same command again to resume`);
    return null;
  }
  const stage: TrainStage = { iter: r.iter, elapsed_s: r.elapsedS, it_per_s: r.iter / r.elapsedS, best: r.best, load_start, load_end: load() };
  writeFileAtomic(marker, `${JSON.stringify(stage, null, 1)}\n`);
  return stage;
}

/** Evaluate fold `fold` on its own validation patients unless its scores exist. */
async function evaluateStage(o: FoldsOptions, fold: number, log: Log): Promise<EvaluationReport> {
  const dir = foldDir(o.out, fold);
  const scores = join(dir, "eval", "scores.json");
  if (existsSync(scores)) {
    log(`fold ${fold}: evaluation done already (${scores})`);
    return readJsonFile(scores, scoreReportLooseSchema, "cardioseg score file") as unknown as EvaluationReport;
  }
  const r = await runEvaluate({ model: dir, data: o.data, out: dir, lcc: o.lcc, tta: o.tta, log });
  if (r.report.evaluation.selection !== "validation") {
    throw new Error(`fold ${fold}: evaluate did not find the fold's validation patients (selection ${r.report.evaluation.selection})`);
  }
  return r.report;
}

export async function runFolds(o: FoldsOptions): Promise<CvResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const only = checkFolds(o);
  claimOut(o);
  const done: FoldResult[] = [];
  let complete = true;
  for (const fold of only) {
    const training = await trainStage(o, fold, log);
    if (!training) {
      complete = false;
      break;
    }
    done.push({ fold, dir: foldDir(o.out, fold), training, report: await evaluateStage(o, fold, log) });
  }
  return { ...summarise(o, done, only), complete };
}

function trainingFacts(t: TrainStage): TrainingFacts {
  return { iterations: t.iter, elapsedS: t.elapsed_s };
}

/** Structures (classes after background) of the first report. */
function structuresOf(folds: readonly FoldResult[]): string[] {
  return folds.length > 0 ? folds[0].report.classes.slice(1) : [];
}

/** The pooled row of some folds (every validation case once), named `name`. */
export function pooledRow(name: string, folds: readonly FoldResult[], expected: number): ResultRow | null {
  if (folds.length === 0) return null;
  const row = resultRow(name, folds.flatMap((f) => f.report.cases), structuresOf(folds), folds.map((f) => trainingFacts(f.training)));
  if (folds.length < expected) row.note = `${folds.length} of ${expected} folds`;
  return row;
}

function summarise(o: FoldsOptions, folds: readonly FoldResult[], only: readonly number[]): Omit<CvResult, "complete"> {
  const structures = structuresOf(folds);
  const rows = folds.map((f) => resultRow(`fold ${f.fold}`, f.report.cases, structures, [trainingFacts(f.training)]));
  const pooled = pooledRow(`${only.length === o.folds ? "all folds" : `folds ${only.join(",")}`} (pooled)`, folds, only.length);
  const loads = folds.map((f) => `fold ${f.fold}: load average ${f.training.load_start.join("/")} at the start, ${f.training.load_end.join("/")} at the end`);
  const md = [
    `# Cross-validation: ${o.folds} folds`,
    "",
    `config ${o.config}${o.overrides?.length ? ` with ${o.overrides.join(" ")}` : ""}; data ${o.data}; `
      + `${o.budget ? `time budget ${o.budget} per fold` : "the config's run length"}${o.lcc ? "; evaluated with --lcc" : ""}${o.tta ? "; with --tta" : ""}.`,
    "Validation Dice and HD95 per fold on that fold's patients; the pooled row weighs every validation case once.",
    "it/s counts the training wall clock with validation and checkpoints.",
    "",
    markdownTable("fold", pooled ? [...rows, pooled] : rows),
    "Machine load (1/5/15-minute load averages) during each training stage:",
    "",
    ...loads.map((l) => `- ${l}`),
    "",
  ].join("\n");
  const json = { settings: { config: o.config, data: o.data, folds: o.folds, overrides: o.overrides ?? [], budget: o.budget ?? null, lcc: !!o.lcc, tta: !!o.tta },
    rows, pooled, stages: folds.map((f) => ({ fold: f.fold, ...f.training })) };
  const summaryMd = join(o.out, "cv-summary.md"), summaryJson = join(o.out, "cv-summary.json");
  writeFileAtomic(summaryMd, md);
  writeFileAtomic(summaryJson, `${JSON.stringify(json, null, 1)}\n`);
  return { folds: [...folds], rows, pooled, summaryMd, summaryJson };
}
