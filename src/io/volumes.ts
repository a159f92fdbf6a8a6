// volumes.ts — opening any supported image or label file by its name (.nii, .nii.gz, .png, .dcm),
// and turning a decoded volume into a label map (checked integer classes 0..255).
import { IoError } from "./errors.js";
import { readDicomFile } from "./dicom/index.js";
import { UNANNOTATED, voxelCount, type ImageVolume, type LabelVolume } from "./image.js";
import { readNifti } from "./nifti/read.js";
import { readPng } from "./png.js";

export const IMAGE_EXTENSIONS = [".nii.gz", ".nii", ".png", ".dcm"] as const;

/** The recognised extension of `name` (".nii.gz" before ".nii"), or undefined. */
export function imageExtension(name: string): string | undefined {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.find((e) => lower.endsWith(e));
}

export function readImageFile(path: string): ImageVolume {
  const ext = imageExtension(path);
  if (ext === ".nii" || ext === ".nii.gz") return readNifti(path);
  if (ext === ".png") return readPng(path);
  if (ext === ".dcm") return readDicomFile(path);
  throw new IoError(path, "unknown image type (expected .nii, .nii.gz, .png or .dcm)");
}

/** Reads a label file; every voxel must be an integer class 0..255. */
export function readLabelFile(path: string): LabelVolume {
  return toLabels(readImageFile(path), path);
}

/**
 * Label values of `data` at or above `classes.length`, said as "7 (12 voxels), 9 (3 voxels)
 * are outside the class list 0..3 (background, RV, MYO, LV)"; undefined when all are in the list.
 * UNANNOTATED (255, a voxel the expert did not annotate) is in every list.
 */
export function outOfClassProblem(data: Uint8Array, classes: readonly string[]): string | undefined {
  const counts = new Float64Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  const bad: string[] = [];
  for (let v = classes.length; v < 256; v++) {
    if (counts[v] > 0 && v !== UNANNOTATED) bad.push(`${v} (${counts[v]} voxel${counts[v] === 1 ? "" : "s"})`);
  }
  if (bad.length === 0) return undefined;
  const list = bad.length > 8 ? `${bad.slice(0, 8).join(", ")} and ${bad.length - 8} more values` : bad.join(", ");
  return `label value${bad.length === 1 ? "" : "s"} ${list} ${bad.length === 1 ? "is" : "are"} outside the class list 0..${classes.length - 1} (${classes.join(", ")})`;
}

export function toLabels(v: ImageVolume, file = String(v.meta.file ?? "labels")): LabelVolume {
  const dims = v.dims.slice(0, 3);
  const n = voxelCount(dims);
  if (v.data instanceof Uint8Array && v.data.length === n) return { ...v, data: v.data, dims, spacing: v.spacing.slice(0, 3) };
  if (v.data.length !== n) throw new IoError(file, `a label map must be 3-D, got ${v.dims.join("x")}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = v.data[i];
    if (!(Number.isInteger(x) && x >= 0 && x <= 255)) throw new IoError(file, `label value ${x} at voxel ${i} is not a class number 0..255`);
    out[i] = x;
  }
  return { ...v, data: out, dims, spacing: v.spacing.slice(0, 3) };
}
