// src/eval/score-folders.ts — `cardioseg score`'s work: match prediction and truth files, read
// and score them one case at a time (memory stays at one case), and refuse to produce an
// average when any case is bad or any ground-truth case has no prediction (an average over a
// subset is a wrong number): every problem is collected and reported together. With skipMissing,
// cases missing on either side are skipped and listed in the report's "skipped".
import { matchFolders } from "./files.js";
import { readLabelVolume } from "./load.js";
import { ScoreAccumulator, type ScoreReport } from "./score.js";

export interface ScoreFoldersOptions {
  predDir: string;
  gtDir: string;
  classes: readonly string[];
  /** Score only these structures (the others count as background); default all. */
  structures?: readonly string[];
  /** Skip (and list) predictions without a truth file and truth cases without a prediction instead of failing. */
  skipMissing?: boolean;
  /** Called after each case, for progress output. */
  onCase?: (index: number, total: number, id: string) => void;
}

/** Thrown when cases fail; `problems` holds one "case: reason" line each. */
export class ScoreInputError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`${problems.length} case(s) could not be scored, so no average was computed:\n  ${problems.join("\n  ")}`);
    this.name = "ScoreInputError";
    this.problems = problems;
  }
}

export function scoreFolders(opts: ScoreFoldersOptions): ScoreReport {
  const matched = matchFolders(opts.predDir, opts.gtDir);
  const cases = matched.cases;
  const acc = new ScoreAccumulator(opts.classes, { structures: opts.structures });
  const problems: string[] = [...matched.problems];
  const skipped: { id: string; reason: string }[] = [];
  for (const u of matched.unpredicted) {
    const reason = `no prediction ${u.id}.nii.gz under ${opts.predDir} for ground truth ${u.truth}`;
    if (opts.skipMissing) skipped.push({ id: u.id, reason });
    else problems.push(`${u.id}: ${reason} (use --skip-missing to skip it)`);
  }
  cases.forEach((c, index) => {
    if (!c.truth) {
      const reason = `no truth file ${c.id}_gt.nii.gz or ${c.id}.nii.gz under ${opts.gtDir}`;
      if (opts.skipMissing) skipped.push({ id: c.id, reason });
      else problems.push(`${c.id}: ${reason} (use --skip-missing to skip it)`);
      return;
    }
    try {
      const pred = readLabelVolume(c.pred, opts.classes.length);
      const truth = readLabelVolume(c.truth, opts.classes.length, true);
      acc.addCase({ id: c.id, phase: c.phase, pred, truth });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // Each line names a file: the reader's errors do; the scorer's name the case, so add its prediction.
      const named = msg.includes(c.pred) || (c.truth !== null && msg.includes(c.truth)) ? msg : `${c.pred}: ${msg}`;
      problems.push(named.startsWith(`case ${c.id}`) || named.includes(c.id) ? named : `${c.id}: ${named}`);
    }
    opts.onCase?.(index + 1, cases.length, c.id);
  });
  if (problems.length > 0) throw new ScoreInputError(problems);
  const report = acc.result(skipped);
  if (report.cases.length === 0) throw new Error(`${opts.predDir}: no case could be scored (every case was skipped: ${skipped.map((s) => s.id).join(", ")})`);
  return report;
}
