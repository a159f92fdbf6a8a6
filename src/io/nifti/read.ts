// read.ts — NIfTI bytes (.nii or .nii.gz) to an ImageVolume. Every size the header claims is
// checked against the bytes actually present (or that a gzip stream of this size could hold)
// before anything is allocated; a gzip stream is inflated only up to the size the header promises
// (plus a little slack), so a small file that inflates to gigabytes stops at that ceiling.
import { IoError, readInputFile } from "../errors.js";
import { MAX_DEFLATE_RATIO, gunzipBounded, gunzipPrefix, isGzip } from "../gzip.js";
import { MAX_VOXELS, geometryProblem, type ImageVolume, type VoxelArray } from "../image.js";
import { bestAffine } from "./affine.js";
import { HEADER_PROBE_BYTES, NIFTI1_MIN_OFFSET, NIFTI2_MIN_OFFSET, parseNiftiHeader, type NiftiHeader } from "./header.js";
import { bytesPerVoxel, decodeVoxels, datatypeName } from "./datatypes.js";

export interface NiftiReadOptions {
  /** Largest voxel payload accepted, bytes (default 2 GiB; at most MAX_VOXELS voxels either way). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 2 ** 31;
/** Bytes a gzip stream may hold beyond header + voxels (some writers pad); more is refused. */
const GZIP_SLACK_BYTES = 1 << 16;

export function readNifti(path: string, options: NiftiReadOptions = {}): ImageVolume {
  return decodeNifti(readInputFile(path), path, options);
}

/** Decodes a whole .nii or .nii.gz file held in memory; `file` names it in errors and metadata. */
export function decodeNifti(bytes: Uint8Array, file: string, options: NiftiReadOptions = {}): ImageVolume {
  const gz = isGzip(bytes);
  const head = gz ? gunzipPrefix(bytes, HEADER_PROBE_BYTES, file) : bytes;
  const header = parseNiftiHeader(head, file);
  const plan = planVoxels(header, file, options.maxBytes ?? DEFAULT_MAX_BYTES);
  const end = plan.offset + plan.bytes;
  if (gz && end > bytes.length * MAX_DEFLATE_RATIO + 1024) {
    throw new IoError(file, `header claims ${end} bytes, more than ${bytes.length} gzip bytes can hold`);
  }
  // A little slack lets through files with padding after the voxels; more is refused.
  const body = gz ? gunzipBounded(bytes, end + GZIP_SLACK_BYTES, file) : bytes;
  if (body.length < end) {
    throw new IoError(file, `truncated: header needs ${end} bytes (${plan.bytes} of voxels at offset ${plan.offset}), ${gz ? "gzip content" : "file"} has ${body.length}`);
  }
  // The inflated buffer is ours alone: its voxels can be used in place instead of copied.
  const data = decodeVoxels(body.subarray(plan.offset, end), header, plan.count, file, gz);
  return toVolume(header, data, file);
}

interface VoxelPlan {
  count: number;
  bytes: number;
  offset: number;
}

function planVoxels(h: NiftiHeader, file: string, maxBytes: number): VoxelPlan {
  if (h.dims.length < 1 || h.dims.length > 7) throw new IoError(file, `bad dim[0] = ${h.dims.length} (must be 1..7)`);
  let count = 1;
  for (const [i, n] of h.dims.entries()) {
    if (!Number.isSafeInteger(n) || n < 1) throw new IoError(file, `bad dim[${i + 1}] = ${n}`);
    count *= n;
    if (count > Math.min(maxBytes, MAX_VOXELS)) {
      throw new IoError(file, `header claims ${h.dims.join("x")} voxels, over the limit of ${Math.min(maxBytes, MAX_VOXELS)}`);
    }
  }
  if (h.dims.slice(4).some((n) => n > 1)) throw new IoError(file, `${h.dims.length}-D NIfTI (${h.dims.join("x")}) is not supported; at most 4 dimensions`);
  const bpv = bytesPerVoxel(h.datatype, file);
  if (h.bitpix !== 8 * bpv) throw new IoError(file, `bitpix ${h.bitpix} does not match datatype ${datatypeName(h.datatype)}`);
  const bytes = count * bpv;
  if (bytes > maxBytes) throw new IoError(file, `voxel data of ${bytes} bytes is over the ${maxBytes}-byte limit`);
  const minOffset = h.version === 1 ? NIFTI1_MIN_OFFSET : NIFTI2_MIN_OFFSET;
  if (!Number.isFinite(h.voxOffset)) throw new IoError(file, `bad vox_offset ${h.voxOffset}`);
  // nibabel fixes a too-small vox_offset (often 0 in old files) to the minimum for a single file.
  const offset = h.voxOffset < minOffset ? minOffset : Math.floor(h.voxOffset);
  if (offset > maxBytes) throw new IoError(file, `vox_offset ${h.voxOffset} is implausibly large`);
  return { count, bytes, offset };
}

function toVolume(h: NiftiHeader, data: VoxelArray, file: string): ImageVolume {
  const dims = [h.dims[0], h.dims[1] ?? 1, h.dims[2] ?? 1];
  const affine = withSliceAxis(bestAffine(h), dims[2]);
  if (affine.some((v) => !Number.isFinite(v))) throw new IoError(file, "affine (sform/qform) holds non-finite numbers");
  // Voxel size from pixdim, as nibabel's get_zooms(): ACDC's sform omits the spacing (1 mm columns)
  // while pixdim holds the true 1.5625 mm; the affine's column norms are the fallback.
  const fromAffine = [0, 1, 2].map((c) => Math.hypot(affine[c], affine[4 + c], affine[8 + c]));
  const spacing = [1, 2, 3].map((i, c) => (i <= h.dims.length && Math.abs(h.pixdim[i]) > 0 && Number.isFinite(h.pixdim[i]) ? Math.abs(h.pixdim[i]) : fromAffine[c]));
  if ((h.dims[3] ?? 1) > 1) {
    dims.push(h.dims[3]);
    const dt = Math.abs(h.pixdim[4]);
    spacing.push(dt > 0 && Number.isFinite(dt) ? dt : 1);
  }
  if (!(spacing[2] > 0) && dims[2] === 1) spacing[2] = 1;
  const where = h.sformCode !== 0 ? "sform" : h.qformCode !== 0 ? "qform and pixdim" : "pixdim";
  const problem = geometryProblem({ dims, spacing, affine, data });
  if (problem) throw new IoError(file, `${problem}, from the header's ${where}`);
  return {
    data,
    dims,
    spacing,
    affine,
    meta: {
      file,
      format: `nifti${h.version}`,
      datatype: datatypeName(h.datatype),
      sformCode: h.sformCode,
      qformCode: h.qformCode,
      description: h.description,
    },
  };
}

/**
 * A single-slice file often leaves its slice axis empty (pixdim[3] = 0, or a zero third sform
 * column): the slice then gets the unit normal of its plane (1 mm), as a one-slice DICOM does.
 * With more than one slice a zero axis is an error, reported by the geometry check.
 */
function withSliceAxis(affine: number[], nz: number): number[] {
  const k = [affine[2], affine[6], affine[10]];
  if (nz !== 1 || Math.hypot(k[0], k[1], k[2]) > 0) return affine;
  const i = [affine[0], affine[4], affine[8]], j = [affine[1], affine[5], affine[9]];
  const n = [i[1] * j[2] - i[2] * j[1], i[2] * j[0] - i[0] * j[2], i[0] * j[1] - i[1] * j[0]];
  const len = Math.hypot(n[0], n[1], n[2]);
  if (!(len > 0) || !Number.isFinite(len)) return affine;
  const out = affine.slice();
  for (let r = 0; r < 3; r++) out[r * 4 + 2] = n[r] / len;
  return out;
}
