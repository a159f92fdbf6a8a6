// curves.ts owns RUNDIR/curves.png: training loss and validation scores against iterations (the
// founding note's "evolution of the performance"), drawn by src/report's PNG chart helper from the
// same lines metrics.jsonl holds. A plotting failure never fails a finished training run.
import { join } from "node:path";
import { parseTrainingLog } from "../report/run-folder.js";
import { trainingCurvesPng } from "../report/plot.js";
import { writeFileAtomic } from "../util/fs.js";
import type { MetricsLine } from "./metrics-log.js";

export function writeCurves(runDir: string, lines: readonly MetricsLine[], log: (line: string) => void): void {
  if (lines.length === 0) return;
  try {
    const text = lines.map((l) => JSON.stringify(l, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))).join("\n");
    writeFileAtomic(join(runDir, "curves.png"), trainingCurvesPng(parseTrainingLog(text)));
  } catch (err) {
    log(`warning: could not draw curves.png (${(err as Error).message})`);
  }
}
