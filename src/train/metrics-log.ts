// metrics-log.ts owns RUNDIR/metrics.jsonl: a run line {"iter","run":{"kind","iterations" | "budget",
// "budget_s",…}} first (again if a resumed session changes the kind or budget), training lines
// {"iter","loss","lr","time_s"} (plus "progress", elapsed / budget, in time-budget runs) and validation
// lines {"iter","val":{...}}. The whole file is rewritten atomically on each flush (it stays small),
// and on resume lines after the resumed iteration are dropped so the log matches an uninterrupted run.
import { existsSync } from "node:fs";
import { readInputText } from "../io/errors.js";
import { MAX_JSON_BYTES } from "../io/json.js";
import { writeFileAtomic } from "../util/fs.js";

import type { RunHeader } from "./plan.js";

export interface TrainLine { iter: number; loss: number; lr: number; time_s: number; progress?: number }

export interface RunLine { iter: number; run: RunHeader }

export interface ValLine {
  iter: number;
  val: {
    mean_dice: number; mean_iou: number; overall_acc: number;
    /** Mean Dice over foreground classes: what selects best.safetensors. */
    mean_dice_fg?: number;
    per_class: Record<string, { dice: number; iou: number }>;
  };
}

export type MetricsLine = TrainLine | ValLine | RunLine;

export function isValLine(l: MetricsLine): l is ValLine {
  return "val" in l;
}

export function isRunLine(l: MetricsLine): l is RunLine {
  return "run" in l;
}

export class MetricsLog {
  readonly lines: MetricsLine[] = [];

  constructor(readonly path: string) {}

  /** Load an existing log, keeping lines up to and including `iter` (resume). */
  loadUpTo(iter: number): void {
    this.lines.length = 0;
    if (!existsSync(this.path)) return;
    for (const text of readInputText(this.path, MAX_JSON_BYTES).split("\n")) {
      if (!text.trim()) continue;
      try {
        const l = JSON.parse(text) as MetricsLine;
        if (typeof l.iter === "number" && l.iter <= iter) this.lines.push(l);
      } catch {
        // A torn last line cannot happen with atomic writes; anything else unreadable is skipped.
      }
    }
  }

  push(line: MetricsLine): void {
    this.lines.push(line);
  }

  /** Record the run's header unless the latest one says the same (its `init` aside: a resume need not repeat it). */
  pushRunHeader(iter: number, header: RunHeader): void {
    const last = [...this.lines].reverse().find(isRunLine);
    const same = (a: RunHeader, b: RunHeader): boolean => JSON.stringify({ ...a, init: null }) === JSON.stringify({ ...b, init: null });
    if (!last || !same(last.run, header)) this.lines.push({ iter, run: header });
  }

  flush(): void {
    // NaN is not JSON; null keeps the line parseable (e.g. Dice of a class absent from validation).
    const text = this.lines.map((l) => JSON.stringify(l, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))).join("\n");
    writeFileAtomic(this.path, text.length > 0 ? `${text}\n` : "");
  }
}
