// affine.ts — the voxel->world matrix of a NIfTI header, chosen and computed exactly as nibabel's
// get_best_affine: the sform if sform_code != 0, else the qform if qform_code != 0, else nibabel's
// "base affine" (pixdim on the diagonal, x flipped, origin at the volume centre — Analyze style).
// Also the inverse direction (affine -> quaternion) for writing a qform next to the sform.
import type { NiftiHeader } from "./header.js";

/** nibabel's tolerance for a slightly negative w^2 in a unit quaternion (3 float32 eps). */
const W2_THRESHOLD = -3 * 1.1920929e-7;

export function bestAffine(h: NiftiHeader): number[] {
  if (h.sformCode !== 0) return [...h.srow, 0, 0, 0, 1];
  if (h.qformCode !== 0) return qformAffine(h);
  return baseAffine(h);
}

export function qformAffine(h: NiftiHeader): number[] {
  const r = quaternionToMatrix(h.quatern[0], h.quatern[1], h.quatern[2]);
  // nibabel rejects qfac other than +-1 but fixes 0 to 1 on load; nifti1_io treats any negative as -1.
  const qfac = h.pixdim[0] < 0 ? -1 : 1;
  const zooms = [Math.abs(h.pixdim[1]), Math.abs(h.pixdim[2]), Math.abs(h.pixdim[3]) * qfac];
  const a = new Array<number>(16).fill(0);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) a[row * 4 + col] = r[row * 3 + col] * zooms[col];
    a[row * 4 + 3] = h.qoffset[row];
  }
  a[15] = 1;
  return a;
}

function baseAffine(h: NiftiHeader): number[] {
  const shape = [h.dims[0] ?? 1, h.dims[1] ?? 1, h.dims[2] ?? 1];
  const zooms = [1, 2, 3].map((i) => (i <= h.dims.length ? Math.abs(h.pixdim[i]) : 1));
  zooms[0] = -zooms[0];
  const a = new Array<number>(16).fill(0);
  for (let i = 0; i < 3; i++) {
    a[i * 5] = zooms[i];
    a[i * 4 + 3] = -((shape[i] - 1) / 2) * zooms[i];
  }
  a[15] = 1;
  return a;
}

/** Rotation matrix (row-major 3x3) of the unit quaternion whose w is implied positive. */
export function quaternionToMatrix(b: number, c: number, d: number): number[] {
  const w2 = 1 - (b * b + c * c + d * d);
  const a = w2 < 0 && w2 >= W2_THRESHOLD ? 0 : Math.sqrt(Math.max(0, w2));
  const n = a * a + b * b + c * c + d * d;
  if (n < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const s = 2 / n;
  const [X, Y, Z] = [b * s, c * s, d * s];
  const [wX, wY, wZ] = [a * X, a * Y, a * Z];
  const [xX, xY, xZ] = [b * X, b * Y, b * Z];
  const [yY, yZ, zZ] = [c * Y, c * Z, d * Z];
  return [1 - (yY + zZ), xY - wZ, xZ + wY, xY + wZ, 1 - (xX + zZ), yZ - wX, xZ - wY, yZ + wX, 1 - (xX + yY)];
}

export interface Qform {
  quatern: [number, number, number];
  qfac: 1 | -1;
  zooms: [number, number, number];
  offset: [number, number, number];
}

/** The qform parameters of an affine (as nifti1_io's nifti_mat44_to_quatern). Exact for orthogonal
 * direction cosines; a sheared affine only survives in the sform, which readers prefer anyway. */
export function affineToQform(affine: readonly number[]): Qform {
  const col = (c: number): number[] => [affine[c], affine[4 + c], affine[8 + c]];
  const cols = [col(0), col(1), col(2)];
  const zooms = cols.map((v) => Math.hypot(v[0], v[1], v[2]) || 1) as [number, number, number];
  const r = cols.map((v, i) => v.map((x) => x / zooms[i]));
  let qfac: 1 | -1 = 1;
  if (det3(r) < 0) {
    qfac = -1;
    r[2] = r[2].map((x) => -x);
  }
  // r[c][row] is column c; the quaternion formulas below use m(row, col).
  const m = (row: number, c: number): number => r[c][row];
  return { quatern: matrixToQuaternion(m), qfac, zooms, offset: [affine[3], affine[7], affine[11]] };
}

function det3(c: number[][]): number {
  const [a, b, d] = c;
  return a[0] * (b[1] * d[2] - b[2] * d[1]) - b[0] * (a[1] * d[2] - a[2] * d[1]) + d[0] * (a[1] * b[2] - a[2] * b[1]);
}

function matrixToQuaternion(m: (row: number, col: number) => number): [number, number, number] {
  const trace = m(0, 0) + m(1, 1) + m(2, 2) + 1;
  let a: number, b: number, c: number, d: number;
  if (trace > 0.5) {
    a = 0.5 * Math.sqrt(trace);
    b = (0.25 * (m(2, 1) - m(1, 2))) / a;
    c = (0.25 * (m(0, 2) - m(2, 0))) / a;
    d = (0.25 * (m(1, 0) - m(0, 1))) / a;
  } else {
    const xd = 1 + m(0, 0) - (m(1, 1) + m(2, 2));
    const yd = 1 + m(1, 1) - (m(0, 0) + m(2, 2));
    const zd = 1 + m(2, 2) - (m(0, 0) + m(1, 1));
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd); c = (0.25 * (m(0, 1) + m(1, 0))) / b; d = (0.25 * (m(0, 2) + m(2, 0))) / b; a = (0.25 * (m(2, 1) - m(1, 2))) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd); b = (0.25 * (m(0, 1) + m(1, 0))) / c; d = (0.25 * (m(1, 2) + m(2, 1))) / c; a = (0.25 * (m(0, 2) - m(2, 0))) / c;
    } else {
      d = 0.5 * Math.sqrt(zd); b = (0.25 * (m(0, 2) + m(2, 0))) / d; c = (0.25 * (m(1, 2) + m(2, 1))) / d; a = (0.25 * (m(1, 0) - m(0, 1))) / d;
    }
    if (a < 0) { b = -b; c = -c; d = -d; }
  }
  return [b, c, d];
}
