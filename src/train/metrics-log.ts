// metrics-log.ts owns RUNDIR/metrics.jsonl: training lines {"iter","loss","lr","time_s"} and validation
// lines {"iter","val":{...}}. The whole file is rewritten atomically on each flush (it stays small),
// and on resume lines after the resumed iteration are dropped so the log matches an uninterrupted run.
import { existsSync } from "node:fs";
import { readInputText } from "../io/errors.js";
import { MAX_JSON_BYTES } from "../io/json.js";
import { writeFileAtomic } from "../util/fs.js";

export interface TrainLine { iter: number; loss: number; lr: number; time_s: number }

export interface ValLine {
  iter: number;
  val: {
    mean_dice: number; mean_iou: number; overall_acc: number;
    /** Mean Dice over foreground classes: what selects best.safetensors. */
    mean_dice_fg?: number;
    per_class: Record<string, { dice: number; iou: number }>;
  };
}

export type MetricsLine = TrainLine | ValLine;

export function isValLine(l: MetricsLine): l is ValLine {
  return "val" in l;
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

  flush(): void {
    // NaN is not JSON; null keeps the line parseable (e.g. Dice of a class absent from validation).
    const text = this.lines.map((l) => JSON.stringify(l, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))).join("\n");
    writeFileAtomic(this.path, text.length > 0 ? `${text}\n` : "");
  }
}
