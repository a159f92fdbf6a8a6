// volume.ts owns the small terminal progress display predict and evaluate share while the
// Predictor (predictor.ts) works through a volume's slices.
import type { PredictionProgress } from "./predictor.js";

export type Log = (line: string) => void;

/** "slices 5/10" (all frames counted) for a status line. */
export function slicesDone(p: PredictionProgress): string {
  return `slices ${p.done}/${p.total}`;
}

/**
 * Progress on stderr: on a terminal, a status line rewritten in place (slice k of n); finished
 * steps are printed as ordinary lines through `log`, so logs and pipes get one line per step.
 */
export class StepProgress {
  private readonly tty: boolean;
  private dirty = false;

  constructor(private readonly log: Log, tty = process.stderr.isTTY === true) {
    this.tty = tty;
  }

  status(text: string): void {
    if (!this.tty) return;
    process.stderr.write(`\r${text}\x1b[K`);
    this.dirty = true;
  }

  line(text: string): void {
    if (this.dirty) {
      process.stderr.write("\r\x1b[K");
      this.dirty = false;
    }
    this.log(text);
  }
}

export function seconds(startMs: number): string {
  return `${((performance.now() - startMs) / 1000).toFixed(1)} s`;
}
