// volume.ts owns predicting one whole volume slice by slice with progress, the step shared by
// predict and evaluate, plus the small terminal progress display both use.
import { labelLike, type ImageVolume, type LabelVolume } from "../io/image.js";
import type { Predictor } from "../train/predictor.js";

export type Log = (line: string) => void;

/** Predicts every slice of a 3D volume (a 4D volume is refused: split it into frames first). */
export function predictVolume(predictor: Predictor, volume: ImageVolume, onSlice?: (k: number, nz: number) => void): LabelVolume {
  if (volume.dims.slice(3).some((d) => d > 1)) {
    throw new Error(`expected a 3D volume, got ${volume.dims.join("x")} (predict one frame at a time)`);
  }
  const [nx, ny, nz = 1] = volume.dims;
  const plane = nx * ny;
  const out = labelLike(volume);
  const spacing: [number, number] = [volume.spacing[0], volume.spacing[1]];
  for (let k = 0; k < nz; k++) {
    onSlice?.(k, nz);
    const slice = Float32Array.from(volume.data.subarray(k * plane, (k + 1) * plane));
    out.data.set(predictor.predictSlice(slice, nx, ny, spacing).labels, k * plane);
  }
  return out;
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
