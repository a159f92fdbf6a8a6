// `cardioseg report RUNDIR` — one self-contained offline HTML page for a run (metric tables,
// sortable per-case table, training curves, best/worst overlays) plus curves.png. The run-folder
// layout it reads is documented in src/report/run-folder.ts.
import type { Command } from "commander";
import { writeRunReport } from "../../report/build.js";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("write RUNDIR/report.html (self-contained, offline) and RUNDIR/curves.png from a run folder")
    .argument("<rundir>", "run folder (metrics.jsonl, eval/scores.json, eval/cases/<id>_{pred,gt}.png)")
    .option("--out <file>", "HTML path (default RUNDIR/report.html)")
    .option("--cases <n>", "best and worst cases to show", "3")
    .action((runDir: string, opts: { out?: string; cases: string }) => {
      const n = Number(opts.cases);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--cases must be a non-negative integer, got ${opts.cases}`);
      const built = writeRunReport(runDir, opts.out, { showCases: n });
      for (const w of built.warnings) console.error(`warning: ${w}`);
      console.log(`report written to ${built.html}`);
      if (built.curvesPng) console.log(`training curves written to ${built.curvesPng}`);
    });
}
