// src/io/nifti — NIfTI-1 and NIfTI-2 reading and writing (.nii and .nii.gz), as nibabel reads them.
// header.ts turns the fixed header bytes into a plain, validated NiftiHeader.
//
// Why nifti-reader-js is used only for the header fields: its voxel and extension paths are not
// safe on hostile files (a negative extension size walks backwards forever; gzip is inflated with
// no size bound), and its affine prefers the qform whenever sform_code < qform_code, whereas
// nibabel (our reference) prefers any sform. So we hand it a copy of the fixed header with the
// extension flag cleared, take the decoded fields, and read srow, voxels and the affine ourselves.
import { NIFTI1, NIFTI2 } from "nifti-reader-js";
import { IoError, withFile } from "../errors.js";

export interface NiftiHeader {
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  /** dim[1..dim[0]] */
  readonly dims: readonly number[];
  readonly datatype: number;
  readonly bitpix: number;
  /** pixdim[0..7]; pixdim[0] is qfac */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d */
  readonly quatern: readonly number[];
  readonly qoffset: readonly number[];
  /** srow_x, srow_y, srow_z (12 numbers) */
  readonly srow: readonly number[];
  readonly xyztUnits: number;
  readonly description: string;
}

export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI2_HEADER_BYTES = 540;
/** Header plus the 4-byte extension flag: the smallest data offset of a single-file NIfTI. */
export const NIFTI1_MIN_OFFSET = 352;
export const NIFTI2_MIN_OFFSET = 544;

/** Bytes needed to decide the version and parse the header. */
export const HEADER_PROBE_BYTES = NIFTI2_MIN_OFFSET;

export function parseNiftiHeader(bytes: Uint8Array, file: string): NiftiHeader {
  if (bytes.length < NIFTI1_HEADER_BYTES) throw new IoError(file, `too short for a NIfTI header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = detectVersion(view, file);
  const size = version.v === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES;
  if (bytes.length < size) throw new IoError(file, `truncated NIfTI-${version.v} header (${bytes.length} of ${size} bytes)`);
  checkMagic(bytes, version.v, file);
  const copy = new Uint8Array(size + 4);
  copy.set(bytes.subarray(0, size));
  const lib = withFile(file, "unreadable NIfTI header", () => {
    const h = version.v === 1 ? new NIFTI1() : new NIFTI2();
    h.readHeader(copy.buffer);
    return h;
  });
  return {
    version: version.v,
    littleEndian: version.le,
    dims: lib.dims.slice(1, 1 + lib.dims[0]),
    datatype: lib.datatypeCode,
    bitpix: lib.numBitsPerVoxel,
    pixdim: lib.pixDims.slice(0, 8),
    voxOffset: lib.vox_offset,
    sclSlope: lib.scl_slope,
    sclInter: lib.scl_inter,
    qformCode: lib.qform_code,
    sformCode: lib.sform_code,
    quatern: [lib.quatern_b, lib.quatern_c, lib.quatern_d],
    qoffset: [lib.qoffset_x, lib.qoffset_y, lib.qoffset_z],
    srow: readSrow(view, version.v, version.le),
    xyztUnits: lib.xyzt_units,
    description: lib.description.replace(/\0.*$/s, "").trim(),
  };
}

function detectVersion(view: DataView, file: string): { v: 1 | 2; le: boolean } {
  for (const le of [true, false]) {
    const size = view.getInt32(0, le);
    if (size === NIFTI1_HEADER_BYTES) return { v: 1, le };
    if (size === NIFTI2_HEADER_BYTES) return { v: 2, le };
  }
  throw new IoError(file, "not a NIfTI file (sizeof_hdr is neither 348 nor 540)");
}

function checkMagic(bytes: Uint8Array, version: 1 | 2, file: string): void {
  const at = version === 1 ? 344 : 4;
  const magic = String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2]);
  if (magic === `n+${version}`) return;
  if (magic === `ni${version}`) throw new IoError(file, "NIfTI header/image pairs (.hdr/.img) are not supported; use a single .nii or .nii.gz");
  throw new IoError(file, `bad NIfTI-${version} magic ${JSON.stringify(magic)}`);
}

function readSrow(view: DataView, version: 1 | 2, le: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < 12; i++) {
    out.push(version === 1 ? view.getFloat32(280 + 4 * i, le) : view.getFloat64(400 + 8 * i, le));
  }
  return out;
}
