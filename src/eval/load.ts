// src/eval/load.ts — reads a NIfTI label map for scoring: checks that it holds integer labels
// within the class list. Voxel size comes from the NIfTI reader, which takes it from pixdim
// (nibabel's get_zooms, as ACDC's official evaluation does).
import { UNANNOTATED, type LabelVolume } from "../io/image.js";
import { readNifti } from "../io/nifti/index.js";
import { IoError } from "../io/errors.js";

/** A label map as uint8; `truth` maps may also hold UNANNOTATED (255: partial annotations, see score.ts). */
export function readLabelVolume(path: string, nClasses: number, truth = false): LabelVolume {
  const volume = readNifti(path);
  if (volume.dims.slice(3).some((d) => d !== 1)) throw new IoError(path, `label map must be 3D, dims are ${volume.dims.join("x")}`);
  const spacing = volume.spacing.slice(0, 3);
  if (spacing.some((s) => !(s > 0) || !Number.isFinite(s))) throw new IoError(path, `bad voxel size (${spacing.join(", ")})`);
  return { data: toLabels(volume.data, nClasses, path, truth), dims: volume.dims.slice(0, 3), spacing, affine: volume.affine, meta: volume.meta };
}

/** Integer labels in 0..nClasses-1 as uint8; anything else is an error naming the file. */
export function toLabels(data: ArrayLike<number>, nClasses: number, file: string, allowUnannotated = false): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let v = 0; v < data.length; v++) {
    const x = data[v];
    if (!(x >= 0 && x < nClasses && Number.isInteger(x)) && !(allowUnannotated && x === UNANNOTATED)) {
      throw new IoError(file, `label ${x} at voxel ${v} is outside the class list 0..${nClasses - 1}`);
    }
    out[v] = x;
  }
  return out;
}
