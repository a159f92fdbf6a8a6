// src/experiment — runs made of several trainings and evaluations: patient-level cross-validation
// (cv.ts) and ablations (ablate.ts), each in stages that resume, ending in one table.
// table.ts owns that table: one row per run (a fold, the pooled folds, an ablation change) with the
// validation mean Dice per structure and phase, HD95 per structure and the training speed, written
// as Markdown and JSON. Rows are computed from the cases of src/eval's score JSON, so pooling folds
// weighs every validation case once.
import type { CaseScores } from "../eval/score.js";
import { nanmean } from "../eval/stats.js";

export interface TrainingFacts {
  iterations: number;
  /** Training wall clock, validation and checkpoints included. */
  elapsedS: number;
}

export interface ResultRow {
  name: string;
  /** Validation cases scored. */
  cases: number;
  /** Mean over structures × phases of the mean Dice (each cell weighs the same). */
  mean_dice: number | null;
  /** dice[structure][phase]: mean over cases of that phase ("all" when the data have no phases). */
  dice: Record<string, Record<string, number | null>>;
  /** Mean HD95 (mm) per structure over every case where it is defined. */
  hd95_mm: Record<string, number | null>;
  /** Optimiser steps per second of training wall clock (summed over folds when pooled). */
  it_per_s: number | null;
  iterations: number | null;
  train_min: number | null;
  note?: string;
}

/** Phases the table reports: ED and ES when cases carry them, else "all". */
function phasesOf(cases: readonly CaseScores[]): string[] {
  const phases = [...new Set(cases.map((c) => c.phase).filter((p): p is "ED" | "ES" => p !== null))].sort();
  return phases.length > 0 ? phases : ["all"];
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** One row from the validation cases of a run (or of several pooled) and its training facts. */
export function resultRow(name: string, cases: readonly CaseScores[], structures: readonly string[],
  training: readonly TrainingFacts[]): ResultRow {
  const phases = phasesOf(cases);
  const dice: ResultRow["dice"] = {}, hd95: ResultRow["hd95_mm"] = {};
  const cells: number[] = [];
  for (const s of structures) {
    dice[s] = {};
    for (const phase of phases) {
      const members = phase === "all" ? cases : cases.filter((c) => c.phase === phase);
      const m = nanmean(members.map((c) => c.dice[s] ?? NaN));
      dice[s][phase] = finiteOrNull(m);
      cells.push(m);
    }
    hd95[s] = finiteOrNull(nanmean(cases.map((c) => c.hd95_mm[s] ?? NaN)));
  }
  const iterations = training.reduce((a, t) => a + t.iterations, 0);
  const seconds = training.reduce((a, t) => a + t.elapsedS, 0);
  return {
    name, cases: cases.length, mean_dice: finiteOrNull(nanmean(cells)), dice, hd95_mm: hd95,
    it_per_s: training.length > 0 && seconds > 0 ? iterations / seconds : null,
    iterations: training.length > 0 ? iterations : null,
    train_min: training.length > 0 ? seconds / 60 : null,
  };
}

const f = (x: number | null, digits: number): string => (x === null ? "n/a" : x.toFixed(digits));

/** The rows as a Markdown table: first column `first` (e.g. "fold", "change"). */
export function markdownTable(first: string, rows: readonly ResultRow[], withDelta = false): string {
  if (rows.length === 0) return `| ${first} |\n|---|\n`;
  const structures = Object.keys(rows[0].dice);
  const phases = [...new Set(rows.flatMap((r) => structures.flatMap((s) => Object.keys(r.dice[s] ?? {}))))];
  const header = [first, "cases", "mean Dice", ...(withDelta ? ["Δ vs first"] : [])];
  for (const s of structures) for (const p of phases) header.push(p === "all" ? `${s} Dice` : `${s} ${p}`);
  for (const s of structures) header.push(`HD95 ${s} mm`);
  header.push("it/s", "iterations", "train min");
  const base = rows[0].mean_dice;
  const lines = rows.map((r) => {
    const delta = r.mean_dice !== null && base !== null ? (r.mean_dice - base >= 0 ? "+" : "") + (r.mean_dice - base).toFixed(4) : "n/a";
    const cells = [r.note ? `${r.name} (${r.note})` : r.name, String(r.cases), f(r.mean_dice, 4), ...(withDelta ? [delta] : [])];
    for (const s of structures) for (const p of phases) cells.push(f(r.dice[s]?.[p] ?? null, 4));
    for (const s of structures) cells.push(f(r.hd95_mm[s] ?? null, 2));
    cells.push(f(r.it_per_s, 2), r.iterations === null ? "n/a" : String(r.iterations), f(r.train_min, 1));
    return `| ${cells.join(" | ")} |`;
  });
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...lines].join("\n") + "\n";
}
