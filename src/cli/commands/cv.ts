// `cardioseg cv` and `cardioseg ablate` — cross-validation folds and ablations as stages that
// resume (src/experiment); argument parsing only.
import type { Command } from "commander";

interface ExperimentFlags {
  config: string;
  data: string;
  out: string;
  folds: string;
  fold?: string;
  budget?: string;
  lcc?: boolean;
  tta?: boolean;
  progress: string;
  changes?: string;
}

function integer(flag: string, raw: string): number {
  if (!/^\s*\d+\s*$/.test(raw)) throw new Error(`${flag} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function foldList(raw: string | undefined): number[] | undefined {
  return raw === undefined ? undefined : raw.split(",").map((s) => integer("--fold", s));
}

function common(flags: ExperimentFlags, overrides: string[]): {
  config: string; data: string; folds: number; only?: number[]; overrides: string[]; budget?: string; lcc?: boolean; tta?: boolean;
  progress: "auto" | "bar" | "log" | "silent";
} {
  if (!["auto", "bar", "log", "silent"].includes(flags.progress)) throw new Error("--progress must be auto, bar, log or silent");
  return {
    config: flags.config, data: flags.data, folds: integer("--folds", flags.folds), only: foldList(flags.fold), overrides,
    budget: flags.budget, lcc: flags.lcc, tta: flags.tta, progress: flags.progress as "auto",
  };
}

function withOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--config <file>", "experiment config (YAML), e.g. configs/acdc-cpu.yaml")
    .requiredOption("--data <dir>", "data set root (ACDC: patients 001-100, stratified by Info.cfg Group)")
    .requiredOption("--out <dir>", "output folder; run the same command again to resume")
    .option("--folds <k>", "number of patient-level folds", "5")
    .option("--budget <duration>", "train.timeBudget of every run, e.g. 60m (default: the config's run length)")
    .option("--lcc", "evaluate with the largest-connected-component clean-up")
    .option("--tta", "evaluate with flip test-time augmentation")
    .option("--progress <mode>", "auto, bar, log or silent", "auto")
    .argument("[overrides...]", "config overrides key=value for every run");
}

export function registerCv(program: Command): void {
  withOptions(program
    .command("cv")
    .description("patient-level k-fold cross-validation (stratified by group): train + evaluate each fold, in stages that resume; writes OUT/cv-summary.{md,json}"))
    .option("--fold <list>", "run only these folds, e.g. 0 or 0,2 (default: all)")
    .action(async (overrides: string[], flags: ExperimentFlags) => {
      const { runFolds } = await import("../../experiment/cv.js");
      const r = await runFolds({ ...common(flags, overrides), out: flags.out });
      console.log(`${r.complete ? "done" : "interrupted (run the same command again to resume)"}: ${r.folds.length} fold(s) evaluated; table in ${r.summaryMd}`);
      if (!r.complete) process.exitCode = 1;
    });
}

export function registerAblate(program: Command): void {
  withOptions(program
    .command("ablate")
    .description("train + evaluate a base config and each named change on the same fold(s) and run length; writes OUT/ablation.{md,json}"))
    .requiredOption("--changes <file>", "YAML mapping change name -> config overrides, e.g. \"baseline: {}\" and \"no-augment: {data.augment: false}\"")
    .option("--fold <list>", "folds every change runs, e.g. 0 or 0,1", "0")
    .action(async (overrides: string[], flags: ExperimentFlags) => {
      const { runAblation } = await import("../../experiment/ablate.js");
      const r = await runAblation({ ...common(flags, overrides), out: flags.out, changes: flags.changes as string });
      console.log(`${r.complete ? "done" : "interrupted (run the same command again to resume)"}: ${r.rows.length} change(s) in ${r.markdown}`);
      if (!r.complete) process.exitCode = 1;
    });
}
