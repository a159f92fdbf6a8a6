// write.ts — ImageVolume to a NIfTI-1 file (.nii, or .nii.gz gzipped with node:zlib). The affine
// goes into the sform verbatim and into the qform as its closest rigid-plus-zoom equivalent, so
// that every reader (nibabel, ITK, 3D Slicer, ACDC tooling) lands on the source geometry.
import { gzipSync } from "node:zlib";
import { writeFileAtomic } from "../../util/fs.js";
import { IoError } from "../errors.js";
import { firstOverflow, geometryProblem, voxelCount, type ImageVolume, type VoxelArray } from "../image.js";
import { affineToQform } from "./affine.js";
import { datatypeOf } from "./datatypes.js";
import { NIFTI1_HEADER_BYTES, NIFTI1_MIN_OFFSET } from "./header.js";

const XFORM_SCANNER_ANAT = 1;
const UNITS_MM = 2;
const UNITS_MSEC = 16;

export interface NiftiWriteOptions {
  /** Converts the voxels first (e.g. Float32Array for images, Uint8Array for label maps). */
  as?: "float32" | "uint8" | "int16";
  description?: string;
}

/** Writes `volume` to `path` (gzipped when it ends in .gz), atomically. */
export function writeNifti(path: string, volume: ImageVolume, options: NiftiWriteOptions = {}): void {
  const bytes = encodeNifti1(volume, options, path);
  writeFileAtomic(path, path.endsWith(".gz") ? gzipSync(bytes, { level: 6 }) : bytes);
}

/** Float32 image, the format of ACDC's image volumes. */
export function writeNiftiImage(path: string, volume: ImageVolume): void {
  writeNifti(path, volume, { as: "float32" });
}

/** Uint8 label map with its image's affine (ACDC `_gt.nii.gz` style). */
export function writeNiftiLabels(path: string, labels: ImageVolume): void {
  writeNifti(path, labels, { as: "uint8" });
}

/**
 * The NIfTI-1 bytes of `volume`; `target` (the output path) names the file in errors. A volume
 * with bad geometry (singular or non-finite affine, non-positive spacing) or whose values become
 * infinite in the stored type is refused: no file is written that would mislead its reader.
 */
export function encodeNifti1(volume: ImageVolume, options: NiftiWriteOptions = {}, target?: string): Uint8Array {
  const file = target ?? String(volume.meta.file ?? "volume");
  const data = convert(volume.data, options.as);
  const n = voxelCount(volume.dims);
  if (data.length !== n) throw new IoError(file, `data has ${data.length} voxels, dims ${volume.dims.join("x")} need ${n}`);
  if (volume.dims.length > 4 || volume.dims.length < 2) throw new IoError(file, `cannot write ${volume.dims.length}-D data as NIfTI here`);
  const problem = geometryProblem(volume);
  if (problem) throw new IoError(file, `not written: ${problem}${volume.meta.file ? ` (from ${String(volume.meta.file)})` : ""}`);
  const bad = firstOverflow(volume.data, data);
  if (bad >= 0) throw new IoError(file, `not written: voxel ${bad} (${volume.data[bad]}) does not fit the ${options.as ?? "stored"} type`);
  const out = new Uint8Array(NIFTI1_MIN_OFFSET + data.byteLength);
  const view = new DataView(out.buffer);
  writeHeader(view, out, volume, data, options.description ?? String(volume.meta.description ?? ""));
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), NIFTI1_MIN_OFFSET);
  return out;
}

function convert(data: VoxelArray, as: NiftiWriteOptions["as"]): VoxelArray {
  if (as === "float32") return data instanceof Float32Array ? data : Float32Array.from(data);
  if (as === "int16") return data instanceof Int16Array ? data : Int16Array.from(data);
  if (as === "uint8") {
    if (data instanceof Uint8Array) return data;
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(data[i])));
    return out;
  }
  return data;
}

function writeHeader(view: DataView, out: Uint8Array, vol: ImageVolume, data: VoxelArray, description: string): void {
  const le = true;
  view.setInt32(0, NIFTI1_HEADER_BYTES, le);
  const dims = vol.dims;
  view.setInt16(40, dims.length, le);
  for (let i = 0; i < 7; i++) view.setInt16(42 + 2 * i, dims[i] ?? 1, le);
  const code = datatypeOf(data);
  view.setInt16(70, code, le);
  view.setInt16(72, data.BYTES_PER_ELEMENT * 8, le);
  const q = affineToQform(vol.affine);
  // pixdim carries the voxel size from `spacing`, not from the affine: files like ACDC's hold a
  // unit-scale sform next to the true pixdim, and a round trip must keep both as they were.
  const zooms = q.zooms.map((z, i) => (vol.spacing[i] > 0 ? vol.spacing[i] : z));
  const pixdim = [q.qfac, ...zooms, vol.spacing[3] ?? 1, 1, 1, 1];
  for (let i = 0; i < 8; i++) view.setFloat32(76 + 4 * i, pixdim[i], le);
  view.setFloat32(108, NIFTI1_MIN_OFFSET, le);
  view.setFloat32(112, 1, le); // scl_slope
  view.setFloat32(116, 0, le); // scl_inter
  view.setUint8(123, dims.length > 3 ? UNITS_MM | UNITS_MSEC : UNITS_MM);
  writeAscii(out, 148, 80, description);
  view.setInt16(252, XFORM_SCANNER_ANAT, le);
  view.setInt16(254, XFORM_SCANNER_ANAT, le);
  for (let i = 0; i < 3; i++) {
    view.setFloat32(256 + 4 * i, q.quatern[i], le);
    view.setFloat32(268 + 4 * i, q.offset[i], le);
  }
  for (let i = 0; i < 12; i++) view.setFloat32(280 + 4 * i, vol.affine[i], le);
  writeAscii(out, 344, 4, "n+1\0");
}

function writeAscii(out: Uint8Array, at: number, max: number, text: string): void {
  const bytes = Buffer.from(text.replace(/[^\x20-\x7e\0]/g, "?"), "latin1").subarray(0, max - 1);
  out.set(bytes, at);
}
