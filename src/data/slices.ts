// slices.ts owns slice extraction: labelled volumes (one case = an image and its label map) to
// 2D short-axis slices with provenance, after checking what would otherwise break training much
// later: image/label geometry, label values outside the configured classes (UNANNOTATED, 255, is
// allowed: partial annotations; the loss ignores it), non-finite
// intensities, bad spacing. Errors name the file and the field.
import { assertSameGeometry, type ImageVolume, type LabelVolume } from "../io/image.js";
import type { Slice2D } from "./types.js";
import { MAX_SOURCE_LABEL, UNANNOTATED } from "./tasks.js";

/** A labelled volume as the data-set layouts of src/io describe it. */
export interface LabelledCase {
  readonly patient: string;
  /** e.g. patient001_frame01. */
  readonly caseId: string;
  /** ED / ES / frame name, or "". */
  readonly phase: string;
  readonly image: ImageVolume;
  readonly label: LabelVolume;
  readonly imageFile: string;
  readonly labelFile: string;
}

export interface ExtractOptions {
  /** Keep slices whose label map is all background (default true). */
  readonly keepEmpty?: boolean;
  /** Largest allowed label value (default 3, ACDC numbering). */
  readonly maxLabel?: number;
}

export interface CasesOptions extends ExtractOptions {
  /** When given, a case that fails its checks is passed here and skipped instead of thrown. */
  readonly onBadCase?: (c: LabelledCase, err: unknown) => void;
}

/** The in-plane grid of a volume: [nx, ny, nz], refusing real 4D data. */
function planeDims(v: ImageVolume, file: string, field: string): [number, number, number] {
  const d = v.dims;
  if (d.length < 2) throw new Error(`${file}: ${field} has ${d.length} dimension(s); need at least 2`);
  const extra = d.slice(3).reduce((a, b) => a * b, 1);
  if (extra !== 1) throw new Error(`${file}: ${field} is ${d.join("x")} (4D); expected one frame per file`);
  return [d[0], d[1], d.length > 2 ? d[2] : 1];
}

function checkGeometry(c: LabelledCase): void {
  const id = planeDims(c.image, c.imageFile, "image dims");
  const ld = planeDims(c.label, c.labelFile, "label dims");
  if (id.join("x") !== ld.join("x")) {
    throw new Error(`${c.labelFile}: label dims ${ld.join("x")} do not match image ${c.imageFile} dims ${id.join("x")}`);
  }
  try {
    assertSameGeometry(c.image, c.label, "label vs image");
  } catch (err) {
    throw new Error(`${c.labelFile}: affine does not match image ${c.imageFile} (${(err as Error).message})`);
  }
  const [sx, sy] = c.image.spacing;
  if (!(sx > 0 && sy > 0 && Number.isFinite(sx) && Number.isFinite(sy))) {
    throw new Error(`${c.imageFile}: spacing ${sx}x${sy} mm is not a positive in-plane pixel size`);
  }
}

function checkLabels(c: LabelledCase, maxLabel: number): void {
  const data = c.label.data;
  for (let i = 0; i < data.length; i++) {
    if (data[i] > maxLabel && data[i] !== UNANNOTATED) {
      const [nx, ny] = planeDims(c.label, c.labelFile, "label dims");
      const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
      throw new Error(`${c.labelFile}: label value ${data[i]} at voxel (${x}, ${y}, ${z}) is outside the configured classes 0-${maxLabel}`);
    }
  }
}

/** Copies slice k of an image as float32, refusing NaN/Inf (they poison the normalisation). */
function imageSlice(c: LabelledCase, k: number, n: number): Float32Array {
  const out = new Float32Array(n);
  const src = c.image.data;
  for (let i = 0, o = k * n; i < n; i++, o++) {
    const v = src[o];
    if (!Number.isFinite(v)) throw new Error(`${c.imageFile}: voxel value ${v} in slice ${k} (image data must be finite)`);
    out[i] = v;
  }
  return out;
}

/** Every labelled slice of one case (validated first). */
export function slicesFromCase(c: LabelledCase, opts: ExtractOptions = {}): Slice2D[] {
  checkGeometry(c);
  checkLabels(c, opts.maxLabel ?? MAX_SOURCE_LABEL);
  const [nx, ny, nz] = planeDims(c.image, c.imageFile, "image dims");
  const n = nx * ny;
  const spacing: [number, number] = [c.image.spacing[0], c.image.spacing[1]];
  const out: Slice2D[] = [];
  for (let k = 0; k < nz; k++) {
    const label = c.label.data.slice(k * n, (k + 1) * n);
    if (opts.keepEmpty === false && !label.some((v) => v !== 0)) continue;
    out.push({
      image: imageSlice(c, k, n), label, width: nx, height: ny,
      provenance: { patient: c.patient, caseId: c.caseId, phase: c.phase, sliceIndex: k, spacing, imageFile: c.imageFile, labelFile: c.labelFile },
    });
  }
  return out;
}

/** Slices of many cases; refuses an empty result with `where` in the message. */
export function slicesFromCases(cases: Iterable<LabelledCase>, where: string, opts: CasesOptions = {}): Slice2D[] {
  const out: Slice2D[] = [];
  let count = 0;
  for (const c of cases) {
    let slices: Slice2D[];
    try {
      slices = slicesFromCase(c, opts);
    } catch (err) {
      if (!opts.onBadCase) throw err;
      opts.onBadCase(c, err);
      continue;
    }
    count++;
    for (const s of slices) out.push(s);
  }
  if (count === 0) throw new Error(`${where}: no usable labelled cases found`);
  if (out.length === 0) throw new Error(`${where}: ${count} case(s) found but no labelled slices${opts.keepEmpty === false ? " with foreground" : ""}`);
  return out;
}

/** Patients present in a list of slices, sorted. */
export function patientsOf(slices: readonly Slice2D[]): string[] {
  return [...new Set(slices.map((s) => s.provenance.patient))].sort();
}
