// `cardioseg demo` (`npm run demo`) — synthetic data, training, evaluation, one prediction and the
// report in one go, reusing whatever a previous demo left (src/infer/demo.ts).
import type { Command } from "commander";
import { formatDuration } from "../../train/progress.js";

interface DemoFlags { data?: string; out?: string; fast?: boolean; iterations?: string; progress: string }

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("end to end in minutes on a CPU: synthetic data, train, evaluate, predict, report (runs/demo/report.html)")
    .option("--data <dir>", "use a real data set (e.g. an ACDC root) instead of generated phantoms")
    .option("--out <dir>", "run folder (default runs/demo, runs/demo-<data folder name> with --data)")
    .option("--iterations <n>", "training iterations (default 2000 on phantoms, 200 with --data)")
    .option("--fast", "tiny network and data (a smoke test in seconds; default run folder runs/demo-fast)")
    .option("--progress <mode>", "training progress: auto, bar, log or silent", "auto")
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import("../../infer/demo.js");
      if (!["auto", "bar", "log", "silent"].includes(flags.progress)) throw new Error("--progress must be auto, bar, log or silent");
      const iterations = flags.iterations === undefined ? undefined : Number(flags.iterations);
      const r = await runDemo({ data: flags.data, out: flags.out, fast: flags.fast, iterations, progress: flags.progress as "auto" });
      console.log(`\n${r.table}\n`);
      console.log(`demo finished in ${formatDuration(r.wallS)} (training ${r.training})`);
      console.log(`  run folder  ${r.runDir}`);
      console.log(`  scores      ${r.evaluation.scoresPath}`);
      console.log(`  prediction  ${r.prediction.outputs.map((o) => `${r.runDir}/predict/${o.name}`).join(", ")}`);
      console.log(`  report      ${r.reportPath}`);
    });
}
