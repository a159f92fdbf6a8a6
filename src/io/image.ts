// src/io — reading and writing medical images, label maps and contours (no engine dependency).
// image.ts is the image model every reader produces and every writer consumes: voxels in a
// typed array plus the geometry that maps them to the patient (as nibabel/MONAI keep it).
//
// Conventions (fixed, documented in README):
// - Voxel order is NIfTI's: index = i + nx * (j + ny * (k + nz * t)); i is the column (x),
//   j the row (y), k the slice, t the frame. DICOM rows/columns map to j/i.
// - `affine` is the 4x4 voxel->world matrix in millimetres, row-major, in RAS+ world space
//   (NIfTI's convention; DICOM's LPS is converted on reading by negating the first two rows).
// - `spacing` holds the voxel size along i, j, k (mm) and, for 4D data, the frame interval.
//
// Every reader returns its volume through checkedImage() and every writer checks its input with
// it, so a non-finite or singular affine, a zero or negative spacing, or dims that do not match
// the voxels can neither come in nor go out, whatever built the volume.
import { IoError } from "./errors.js";

export type VoxelArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface ImageVolume<T extends VoxelArray = VoxelArray> {
  /** Voxel values, NIfTI order (i fastest). */
  readonly data: T;
  /** [nx, ny, nz] or [nx, ny, nz, nt]. */
  readonly dims: readonly number[];
  /** Voxel size per dimension, mm (time in ms for a 4th dimension where known). */
  readonly spacing: readonly number[];
  /** 4x4 voxel->world (RAS, mm) matrix, row-major, 16 numbers. */
  readonly affine: readonly number[];
  /** Key metadata of the source (file, series UID, description, phase…), for provenance. */
  readonly meta: Readonly<Record<string, string | number>>;
}

/** A label map: one uint8 class index per voxel, sharing its image's geometry. */
export type LabelVolume = ImageVolume<Uint8Array>;

/** The most voxels any reader accepts (2^28: 1 GiB as float32); cardiac MR volumes are far below. */
export const MAX_VOXELS = 2 ** 28;

/** Smallest |det| of the affine's 3x3 part relative to the product of its column lengths. */
const MIN_RELATIVE_DET = 1e-6;

/** What is wrong with a volume's geometry (dims, spacing, affine), or undefined when nothing is. */
export function geometryProblem(v: Pick<ImageVolume, "dims" | "spacing" | "affine"> & { data?: VoxelArray }): string | undefined {
  const { dims, spacing, affine } = v;
  if (dims.length < 2 || dims.length > 4 || !dims.every((d) => Number.isSafeInteger(d) && d >= 1)) return `bad dims ${dims.join("x")}`;
  if (v.data && v.data.length !== voxelCount(dims)) return `${v.data.length} voxels for dims ${dims.join("x")}`;
  const nSpacing = Math.min(3, dims.length);
  if (spacing.length < nSpacing || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    return `voxel size must be positive and finite, got (${spacing.join(", ")})`;
  }
  if (affine.length !== 16 || !affine.every(Number.isFinite)) return "affine holds non-finite numbers";
  if (affine[12] !== 0 || affine[13] !== 0 || affine[14] !== 0 || affine[15] !== 1) return `affine's last row is ${affine.slice(12).join(" ")}, not 0 0 0 1`;
  const cols = [0, 1, 2].map((c) => [affine[c], affine[4 + c], affine[8 + c]]);
  const norms = cols.map((col) => Math.hypot(col[0], col[1], col[2]));
  const lengths = norms.map((n) => fmt(n)).join(", ");
  if (!norms.every((n) => n > 0 && Number.isFinite(n))) return `affine is singular (voxel axes of ${lengths} mm)`;
  const unit = cols.map((col, c) => col.map((x) => x / norms[c]));
  if (!(Math.abs(det3(unit)) > MIN_RELATIVE_DET)) return `affine is singular (voxel axes of ${lengths} mm are not independent)`;
  return undefined;
}

/** `volume` unchanged when its geometry is sound; else an IoError naming `file` and the problem. */
export function checkedImage<V extends ImageVolume>(volume: V, file: string = String(volume.meta.file ?? "volume")): V {
  const problem = geometryProblem(volume);
  if (problem) throw new IoError(file, problem);
  return volume;
}

/** Determinant of the matrix whose columns are c[0], c[1], c[2]. */
function det3(c: readonly (readonly number[])[]): number {
  const [a, b, d] = c;
  return a[0] * (b[1] * d[2] - b[2] * d[1]) - b[0] * (a[1] * d[2] - a[2] * d[1]) + d[0] * (a[1] * b[2] - a[2] * b[1]);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}

/** Index of the first voxel that was finite before a rescale and is not after it, or -1. */
export function firstOverflow(before: ArrayLike<number>, after: ArrayLike<number>): number {
  for (let i = 0; i < after.length; i++) if (!Number.isFinite(after[i]) && Number.isFinite(before[i])) return i;
  return -1;
}

/**
 * Label value of a voxel the expert did not annotate: "background, or a structure not drawn on this
 * case". Sunnybrook slices with an i-contour but no o-contour are labelled so outside the LV cavity
 * (the myocardium may be anywhere there). Training ignores it (loss.ignoreIndex 255); scoring
 * (src/eval/score.ts) skips it except as a false positive of a structure that is drawn on the case,
 * and does not score the structures that are not drawn. Documented in README ("Partially annotated labels").
 */
export const UNANNOTATED = 255;

export function voxelCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Affine from spacing/origin/direction (direction columns = unit axis vectors in RAS). */
export function affineFrom(spacing: readonly number[], origin: readonly number[], direction: readonly number[]): number[] {
  const a = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) a[r * 4 + c] = direction[r * 3 + c] * spacing[c];
    a[r * 4 + 3] = origin[r];
  }
  a[15] = 1;
  return a;
}

/** The identity-oriented affine used for images without geometry (PNG): spacing on the diagonal. */
export function diagonalAffine(spacing: readonly number[]): number[] {
  return affineFrom(spacing, [0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
}

/** Spacing (column norms of the affine's 3x3 part). */
export function spacingFromAffine(affine: readonly number[]): number[] {
  const s: number[] = [];
  for (let c = 0; c < 3; c++) s.push(Math.hypot(affine[c], affine[4 + c], affine[8 + c]));
  return s;
}

/** A label map with the same geometry as `image` (first three dims only). */
export function labelLike(image: ImageVolume, data?: Uint8Array): LabelVolume {
  const dims = image.dims.slice(0, 3);
  const n = voxelCount(dims);
  const labels = data ?? new Uint8Array(n);
  if (labels.length !== n) throw new Error(`label data has ${labels.length} voxels, image has ${n}`);
  return { data: labels, dims, spacing: image.spacing.slice(0, 3), affine: image.affine.slice(), meta: { ...image.meta } };
}

/** Throws unless two volumes share dims and (within tolerance) affine. */
export function assertSameGeometry(a: ImageVolume, b: ImageVolume, what: string, tol = 1e-3): void {
  const da = a.dims.slice(0, 3).join("x"), db = b.dims.slice(0, 3).join("x");
  if (da !== db) throw new Error(`${what}: shapes differ (${da} vs ${db})`);
  for (let i = 0; i < 12; i++) {
    if (Math.abs(a.affine[i] - b.affine[i]) > tol * Math.max(1, Math.abs(a.affine[i]))) {
      throw new Error(`${what}: geometry differs (affine element ${i}: ${a.affine[i]} vs ${b.affine[i]})`);
    }
  }
}
