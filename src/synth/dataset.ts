// dataset.ts owns writing phantom cases to disk in the ACDC layout (patientNNN/Info.cfg plus
// patientNNN_frameNN.nii.gz and _gt.nii.gz for the ED and ES frames), so that the very same
// loader reads real and synthetic data, and the optional PNG previews a person can look at.
import { join } from "node:path";
import { writeNifti } from "../io/nifti/index.js";
import { mosaic, renderOverlay } from "../io/overlay.js";
import { writePngRgba } from "../io/png.js";
import type { ImageVolume } from "../io/image.js";
import { writeFileAtomic } from "../util/fs.js";
import { formatInfo, generateCase, MAX_SIZE, MIN_SIZE, type PhantomCase } from "./phantom.js";
import { percentile } from "./stats.js";

export interface SynthOptions {
  readonly out: string;
  readonly cases: number;
  readonly seed: number;
  readonly size: number;
  readonly preview: boolean;
  /** Called after each case is written (progress display). */
  readonly onCase?: (c: PhantomCase, index: number) => void;
}

export interface SynthResult {
  readonly patientDirs: string[];
  readonly previews: string[];
}

/** ACDC stores images as int16; rounding here keeps files small and the format identical. */
function asInt16(image: ImageVolume<Float32Array>): ImageVolume<Int16Array> {
  const data = new Int16Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(-32768, Math.min(32767, Math.round(image.data[i])));
  return { ...image, data };
}

/** Writes one case under `out` and returns its folder. */
export function writeCase(out: string, c: PhantomCase): string {
  const dir = join(out, c.id);
  writeFileAtomic(join(dir, "Info.cfg"), formatInfo(c.info));
  for (const f of c.frames) {
    const stem = join(dir, `${c.id}_frame${String(f.frame).padStart(2, "0")}`);
    writeNifti(`${stem}.nii.gz`, asInt16(f.image), { description: `cardioseg synth ${f.phase}` });
    writeNifti(`${stem}_gt.nii.gz`, f.labels, { as: "uint8", description: `cardioseg synth ${f.phase} labels` });
  }
  return dir;
}

/** One picture per case, labels overlaid: ED slices base to apex in the top half, ES in the bottom half. */
export function writePreview(path: string, c: PhantomCase): void {
  // One grey window for the whole case (1st-99th percentile of a voxel sample), so slices compare.
  const ed = c.frames[0].image.data;
  const sample = ed.filter((_, i) => i % 7 === 0);
  const window = [percentile(sample, 1), percentile(sample, 99)] as const;
  const [nx, ny, nz] = c.frames[0].image.dims, n = nx * ny, columns = Math.ceil(nz / 2);
  const blank = { width: nx, height: ny, rgba: new Uint8Array(n * 4).fill(255).map((v, i) => (i % 4 === 3 ? v : 0)) };
  const tiles = c.frames.flatMap((f) => {
    const row = Array.from({ length: nz }, (_, k) =>
      renderOverlay(f.image.data.subarray(k * n, (k + 1) * n), f.labels.data.subarray(k * n, (k + 1) * n), nx, ny, { window }));
    return nz % 2 === 1 ? [...row, blank] : row;
  });
  writePngRgba(path, mosaic(tiles, columns));
}

export function checkSynthOptions(o: SynthOptions): void {
  if (!Number.isInteger(o.cases) || o.cases < 1 || o.cases > 999) throw new Error(`--cases must be an integer in [1, 999] (ACDC names have three digits), got ${o.cases}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new Error(`--seed must be an integer in [0, 4294967295], got ${o.seed}`);
  if (!Number.isInteger(o.size) || o.size < MIN_SIZE || o.size > MAX_SIZE) throw new Error(`--size must be an integer in [${MIN_SIZE}, ${MAX_SIZE}] pixels, got ${o.size}`);
}

/** Generates and writes the whole data set. */
export function writeSynthDataset(o: SynthOptions): SynthResult {
  checkSynthOptions(o);
  const patientDirs: string[] = [], previews: string[] = [];
  for (let i = 0; i < o.cases; i++) {
    const c = generateCase(o.seed, i, o.size);
    patientDirs.push(writeCase(o.out, c));
    if (o.preview) {
      const path = join(o.out, "preview", `${c.id}.png`);
      writePreview(path, c);
      previews.push(path);
    }
    o.onCase?.(c, i);
  }
  return { patientDirs, previews };
}
