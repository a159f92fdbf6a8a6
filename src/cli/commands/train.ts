// `cardioseg train` — train a DeepLab v3 from an experiment config; every config field can be
// overridden as key=value (dotted keys, e.g. optim.lr=1e-3 model.backbone=50). `--nproc N` starts N
// local worker processes of this same command (src/distributed/launch.ts); a worker (RANK set by
// the launcher, torchrun or SLURM) trains its share of a distributed run.
import type { Command } from "commander";

interface TrainFlags { config: string; data?: string; out?: string; resume?: string; init?: string; device?: string; progress?: string; nproc?: string }

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train DeepLab v3 on a data folder (or synthetic phantoms) from a YAML config")
    .requiredOption("--config <file>", "experiment config (YAML or JSON), e.g. configs/acdc-cpu.yaml")
    .option("--data <dir>", "data folder (ACDC, Sunnybrook or generic layout); overrides data.root")
    .option("--out <rundir>", "run folder (default runs/<config name>)")
    .option("--resume <ckpt>", "resume from a run folder, checkpoint .json or .safetensors")
    .option("--init <weights>", "fine-tune: start from these weights (run folder, .safetensors, or \"shipped\" for the shipped model); same architecture, fresh optimiser")
    .option("--device <device>", "cpu or cuda")
    .option("--progress <mode>", "auto, bar, log or silent", "auto")
    .option("--nproc <n>", "train on N processes on this machine (data parallel; train.batchSize is per process), like torchrun --nproc-per-node N")
    .argument("[overrides...]", "config overrides key=value, e.g. train.iterations=500 optim.lr=1e-3 train.timeBudget=30m")
    .action(async (overrides: string[], flags: TrainFlags) => {
      const nproc = flags.nproc === undefined ? 1 : Number(flags.nproc);
      if (!Number.isInteger(nproc) || nproc < 1) throw new Error(`--nproc must be a positive integer, got ${flags.nproc}`);
      const launch = await import("../../distributed/launch.js");
      if (nproc > 1) {
        if (process.env.RANK !== undefined) throw new Error("--nproc starts its own workers; under torchrun or SLURM leave it out");
        process.exitCode = await launch.launchLocalWorkers({ nproc, args: [process.argv[1], ...launch.stripNproc(process.argv.slice(2))] });
        return;
      }
      launch.watchLauncher();
      const { runTraining } = await import("../../train/run.js");
      if (flags.device && flags.device !== "cpu" && flags.device !== "cuda") throw new Error(`--device must be cpu or cuda, got ${flags.device}`);
      if (flags.progress && !["auto", "bar", "log", "silent"].includes(flags.progress)) throw new Error(`--progress must be auto, bar, log or silent`);
      const result = await runTraining({
        config: flags.config, data: flags.data, out: flags.out, resume: flags.resume, init: flags.init,
        device: flags.device as "cpu" | "cuda" | undefined, overrides, progress: flags.progress as "auto" | undefined,
      });
      if ((process.env.RANK ?? "0") !== "0") return; // rank 0 reports for the job
      const best = result.best ? `best mean Dice (fg) ${result.best.meanDice.toFixed(4)} at iteration ${result.best.iter}` : "no validation score";
      console.log(`${result.stoppedBy === "done" ? "finished" : "stopped"} at iteration ${result.iter} in ${(result.elapsedS / 60).toFixed(1)} min; ${best}; run folder ${result.runDir}`);
    });
}
