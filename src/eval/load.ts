// src/eval/load.ts — reads a NIfTI label map for scoring: checks that it holds integer labels
// within the class list and takes the voxel size for volumes and distances from the header's
// pixdim (nibabel's get_zooms), as ACDC's official evaluation code does. ACDC's files carry an
// sform with unit scale next to pixdim = 1.5625 x 1.5625 x 10 mm, so spacing derived from the
// affine would make every volume and distance wrong by that factor.
import { readFileSync } from "node:fs";
import { isGzip, gunzipPrefix } from "../io/gzip.js";
import type { LabelVolume } from "../io/image.js";
import { decodeNifti, parseNiftiHeader } from "../io/nifti/index.js";
import { IoError } from "../io/errors.js";

/** Header bytes needed to read pixdim from NIfTI-1 or -2. */
const HEADER_BYTES = 544;

export function readLabelVolume(path: string, nClasses: number): LabelVolume {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new IoError(path, `cannot read (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const volume = decodeNifti(bytes, path);
  const header = parseNiftiHeader(isGzip(bytes) ? gunzipPrefix(bytes, HEADER_BYTES, path) : bytes, path);
  if (volume.dims.slice(3).some((d) => d !== 1)) throw new IoError(path, `label map must be 3D, dims are ${volume.dims.join("x")}`);
  const spacing = [1, 2, 3].map((i) => Math.abs(header.pixdim[i] ?? 0));
  if (spacing.some((s) => !(s > 0) || !Number.isFinite(s))) throw new IoError(path, `bad voxel size (pixdim ${spacing.join(", ")})`);
  return { data: toLabels(volume.data, nClasses, path), dims: volume.dims.slice(0, 3), spacing, affine: volume.affine, meta: volume.meta };
}

/** Integer labels in 0..nClasses-1 as uint8; anything else is an error naming the file. */
export function toLabels(data: ArrayLike<number>, nClasses: number, file: string): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let v = 0; v < data.length; v++) {
    const x = data[v];
    if (!(x >= 0 && x < nClasses && Number.isInteger(x))) {
      throw new IoError(file, `label ${x} at voxel ${v} is outside the class list 0..${nClasses - 1}`);
    }
    out[v] = x;
  }
  return out;
}
