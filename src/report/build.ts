// src/report/build.ts — `cardioseg report`'s work: read the run folder, write report.html and,
// when there is a training log, curves.png (both atomically).
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { buildReportHtml, type ReportOptions } from "./html.js";
import { trainingCharts } from "./chart.js";
import { trainingCurvesPng } from "./plot.js";
import { RUN_FILES, readRunFolder } from "./run-folder.js";

export interface BuiltReport {
  html: string;
  curvesPng: string | null;
  /** Things the reader should know (skipped metrics.jsonl lines, with the first reasons). */
  warnings: string[];
}

export function writeRunReport(runDir: string, out?: string, opts: ReportOptions = {}): BuiltReport {
  const run = readRunFolder(runDir);
  const html = out ?? join(runDir, RUN_FILES.html);
  writeFileAtomic(html, buildReportHtml(run, opts));
  let curvesPng: string | null = null;
  // Lines that hold no plottable value (e.g. {"iter":0,"val":{}}) give no chart and no curves.png.
  if (run.log && trainingCharts(run.log, 1, 1).length > 0) {
    curvesPng = join(runDir, RUN_FILES.curvesPng);
    writeFileAtomic(curvesPng, trainingCurvesPng(run.log));
  }
  const warnings: string[] = [];
  if (run.log && run.log.skippedLines > 0) {
    warnings.push(`${join(runDir, RUN_FILES.log)}: ${run.log.skippedLines} unreadable line(s) skipped (${run.log.problems.join("; ")})`);
  }
  return { html, curvesPng, warnings };
}
