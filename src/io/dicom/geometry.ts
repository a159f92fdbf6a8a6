// geometry.ts owns DICOM patient geometry: ImageOrientationPatient, PixelSpacing and the
// ImagePositionPatient of each slice become the voxel->world affine of src/io/image.ts (RAS:
// DICOM's LPS x and y rows negated). Slices are ordered along the normal row x column.
// Geometry that would give a wrong volume is refused with the file named: parallel or skewed
// row/column directions, a non-positive pixel spacing, and slices whose gaps are uneven (a missing
// slice would otherwise stretch every slice position by the mean step).
import { IoError } from "../errors.js";
import type { DicomInstance } from "./header.js";

const IDENTITY_ORIENTATION = [1, 0, 0, 0, 1, 0];
/** |cos| of the angle between row and column directions beyond which they are not perpendicular. */
const MAX_DIRECTION_COSINE = 0.01;
/** Slice gaps may differ from their mean by this fraction (plus 0.05 mm) before they are uneven. */
const GAP_TOLERANCE = 0.2;

export interface SliceGeometry {
  /** Row direction (increasing column index), column direction (increasing row index), LPS. */
  readonly row: readonly number[];
  readonly col: readonly number[];
  readonly normal: readonly number[];
  /** [spacing along i (columns), spacing along j (rows)], mm. */
  readonly inPlane: readonly number[];
  readonly origin: readonly number[];
  /** True when the file had no orientation/position/spacing and defaults were used. */
  readonly defaulted: boolean;
}

export function sliceGeometry(inst: DicomInstance): SliceGeometry {
  const o = inst.orientation ?? IDENTITY_ORIENTATION;
  const row = unit(o.slice(0, 3), inst.file);
  const col = unit(o.slice(3, 6), inst.file);
  if (Math.abs(dot(row, col)) > MAX_DIRECTION_COSINE) {
    const what = Math.abs(dot(row, col)) > 0.999 ? "parallel" : "not perpendicular";
    throw new IoError(inst.file, `ImageOrientationPatient ${o.join("\\")}: the row and column directions are ${what}`);
  }
  const ps = inst.pixelSpacing ?? [1, 1];
  if (!(ps[0] > 0 && ps[1] > 0 && Number.isFinite(ps[0]) && Number.isFinite(ps[1]))) {
    throw new IoError(inst.file, `bad PixelSpacing ${ps.join("\\")} (must be two positive numbers)`);
  }
  return {
    row, col, normal: cross(row, col), inPlane: [ps[1], ps[0]],
    origin: inst.position ?? [0, 0, 0],
    defaulted: !inst.orientation || !inst.position || !inst.pixelSpacing,
  };
}

/** Position of a slice along the normal, mm (the sort key for stacking). */
export function along(g: SliceGeometry, position: readonly number[]): number {
  return dot(g.normal, position);
}

/**
 * voxel->RAS affine for slices at `positions` (already sorted along the normal): the third column
 * is the mean step between first and last slice (keeps gantry tilt), or normal * `thickness` for
 * a single slice.
 */
export function stackAffine(g: SliceGeometry, positions: readonly (readonly number[])[], thickness: number, file: string): { affine: number[]; sliceSpacing: number } {
  const first = positions[0] ?? g.origin;
  const n = positions.length;
  checkEvenGaps(g, positions, file);
  const step = n > 1 ? [0, 1, 2].map((a) => (positions[n - 1][a] - first[a]) / (n - 1)) : g.normal.map((v) => v * thickness);
  const lps = [
    g.row[0] * g.inPlane[0], g.col[0] * g.inPlane[1], step[0], first[0],
    g.row[1] * g.inPlane[0], g.col[1] * g.inPlane[1], step[1], first[1],
    g.row[2] * g.inPlane[0], g.col[2] * g.inPlane[1], step[2], first[2],
    0, 0, 0, 1,
  ];
  for (let c = 0; c < 4; c++) {
    lps[c] = -lps[c];
    lps[4 + c] = -lps[4 + c];
  }
  return { affine: lps.map((v) => v + 0), sliceSpacing: Math.hypot(step[0], step[1], step[2]) };
}

/** Refuses slices whose steps along the normal are uneven or zero (a missing or repeated slice). */
function checkEvenGaps(g: SliceGeometry, positions: readonly (readonly number[])[], file: string): void {
  if (positions.length < 2) return;
  const d = positions.map((p) => along(g, p));
  const mean = (d[d.length - 1] - d[0]) / (d.length - 1);
  if (!(Math.abs(mean) > 1e-3)) throw new IoError(file, `${positions.length} slices share one position along the slice normal`);
  for (let k = 1; k < d.length; k++) {
    const gap = d[k] - d[k - 1];
    if (Math.abs(gap - mean) > GAP_TOLERANCE * Math.abs(mean) + 0.05) {
      throw new IoError(file, `uneven slice spacing: gap ${round(gap)} mm between slices ${k - 1} and ${k}, ${round(mean)} mm on average (a missing or extra slice?)`);
    }
  }
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

/** The slice thickness used when one slice gives no spacing of its own. */
export function nominalThickness(inst: DicomInstance): number {
  const t = inst.spacingBetweenSlices ?? inst.sliceThickness;
  return t !== undefined && t > 0 ? t : 1;
}

function unit(v: readonly number[], file: string): number[] {
  const n = Math.hypot(v[0], v[1], v[2]);
  if (!(n > 1e-6)) throw new IoError(file, `bad ImageOrientationPatient vector ${v.join("\\")}`);
  return v.map((x) => x / n);
}

function cross(a: readonly number[], b: readonly number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
