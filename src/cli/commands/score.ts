// `cardioseg score` — scores any method's NIfTI label maps against ground truth (no model
// needed): prints the metric table and optionally writes the score JSON (see src/eval/score.ts).
import type { Command } from "commander";
import { formatScoreReport } from "../../eval/format.js";
import { ACDC_CLASSES } from "../../eval/score.js";
import { scoreFolders } from "../../eval/score-folders.js";
import { writeFileAtomic } from "../../util/fs.js";

interface ScoreOptions {
  pred: string;
  gt: string;
  classes: string;
  json?: string;
  skipMissing?: boolean;
  structures?: string;
}

export function parseClassList(text: string): string[] {
  const classes = text.split(",").map((s) => s.trim());
  if (classes.some((c) => c === "")) throw new Error(`--classes: empty class name in "${text}"`);
  return classes;
}

export function registerScore(program: Command): void {
  program
    .command("score")
    .description("score predicted NIfTI label maps against ground truth (X.nii.gz vs X_gt.nii.gz or X.nii.gz, searched recursively)")
    .requiredOption("--pred <dir>", "folder of predicted label maps (.nii/.nii.gz)")
    .requiredOption("--gt <dir>", "folder of ground-truth label maps")
    .option("--classes <names>", "comma-separated class names, label 0 first", ACDC_CLASSES.join(","))
    .option("--json <file>", "write the scores as JSON")
    .option("--structures <names>", "score only these structures, e.g. LV,MYO (the others count as background)")
    .option("--skip-missing", "skip (and list) predictions without a truth file instead of failing")
    .action((opts: ScoreOptions) => {
      const report = scoreFolders({
        predDir: opts.pred,
        gtDir: opts.gt,
        classes: parseClassList(opts.classes),
        structures: opts.structures ? parseClassList(opts.structures) : undefined,
        skipMissing: opts.skipMissing,
        onCase: (i, n, id) => {
          if (process.stderr.isTTY) process.stderr.write(`\rscoring ${i}/${n} ${id}\x1b[K${i === n ? "\n" : ""}`);
        },
      });
      console.log(formatScoreReport(report));
      if (opts.json) {
        writeFileAtomic(opts.json, JSON.stringify(report, null, 1) + "\n");
        console.log(`scores written to ${opts.json}`);
      }
    });
}
