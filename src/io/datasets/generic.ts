// generic.ts — a plain folder of image/label pairs, NIfTI or PNG (DICOM files also work):
// either `X.nii.gz` next to `X_gt.nii.gz`, or images/X.png with labels/X.png (or labels/X_gt.png),
// or one sub-folder per patient holding `X.nii.gz` + `X_gt.nii.gz` pairs (what `cardioseg convert`
// writes for Sunnybrook and ACDC: every image of a folder belongs to that patient, so splits keep a
// patient's slices together). Images without a label file are listed as unlabelled cases;
// `*_overlay.png` files (convert --png's pictures) are not images of the data set. An optional
// `dataset.json` manifest (written by convert) names the structures the labels annotate.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile } from "../json.js";
import { imageExtension, readImageFile, readLabelFile } from "../volumes.js";
import { isDir, type Dataset, type DatasetCase } from "./types.js";

const LABEL_SUFFIX = "_gt";
/** The manifest file name and format tag. */
export const MANIFEST = "dataset.json";
export const MANIFEST_FORMAT = "cardioseg-dataset-1";

function stemOf(name: string): string | undefined {
  const ext = imageExtension(name);
  return ext ? name.slice(0, -ext.length) : undefined;
}

/** Picture files `cardioseg convert --png` writes beside each case: not images of the data set. */
const OVERLAY_SUFFIX = "_overlay.png";

function imageFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith(".") && imageExtension(n) !== undefined && !n.endsWith(OVERLAY_SUFFIX))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** Image files other than DICOM (a folder of .dcm files is a DICOM series, not a generic data set). */
function hasNonDicomImages(dir: string): boolean {
  return isDir(dir) && imageFiles(dir).some((n) => !n.toLowerCase().endsWith(".dcm"));
}

export function isSplitFolder(root: string): boolean {
  return isDir(join(root, "images")) && isDir(join(root, "labels"));
}

/** Sub-folders of `root` that hold images: the patient folders of the nested layout. */
function patientFolders(root: string): string[] {
  if (!isDir(root)) return [];
  return readdirSync(root).filter((n) => !n.startsWith(".") && hasNonDicomImages(join(root, n)))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** True when `root` holds at least one image file, images/ + labels/, or patient folders of images. */
export function isGenericRoot(root: string): boolean {
  return isSplitFolder(root) || hasNonDicomImages(root) || patientFolders(root).length > 0;
}

export function loadGeneric(root: string): Dataset {
  const manifest = readManifest(root);
  const base = { kind: "generic" as const, root, problems: [], ...(manifest.structures ? { structures: manifest.structures } : {}) };
  if (isSplitFolder(root)) return { ...base, cases: pairCases(join(root, "images"), join(root, "labels"), true) };
  if (hasNonDicomImages(root)) return { ...base, cases: pairCases(root, root, false) };
  const cases = patientFolders(root).flatMap((patient) => pairCases(join(root, patient), join(root, patient), false, patient));
  return { ...base, cases };
}

/** Cases of one folder of images (and its label folder); `patient` = the folder's name in the nested layout. */
function pairCases(imageDir: string, labelDir: string, split: boolean, patient?: string): DatasetCase[] {
  const labelNames = new Map<string, string>(); // stem -> file name
  for (const n of imageFiles(labelDir)) {
    const stem = stemOf(n) as string;
    if (split && !stem.endsWith(LABEL_SUFFIX)) labelNames.set(stem, n);
    else if (stem.endsWith(LABEL_SUFFIX)) labelNames.set(stem.slice(0, -LABEL_SUFFIX.length), n);
  }
  const cases: DatasetCase[] = [];
  for (const name of imageFiles(imageDir)) {
    const stem = stemOf(name) as string;
    if (!split && stem.endsWith(LABEL_SUFFIX)) continue;
    const label = labelNames.get(stem);
    cases.push(genericCase(stem, patient ?? stem, join(imageDir, name), label ? join(labelDir, label) : undefined));
  }
  return cases;
}

function genericCase(id: string, patient: string, imagePath: string, labelPath: string | undefined): DatasetCase {
  return {
    id,
    patient,
    phase: "image",
    imagePath,
    labelPaths: labelPath ? [labelPath] : [],
    info: {},
    loadImage: () => readImageFile(imagePath),
    loadLabels: () => (labelPath ? readLabelFile(labelPath) : undefined),
  };
}

/** dataset.json as convert writes it; other fields (source, labels) are for people and kept unread. */
const ManifestSchema = z.looseObject({
  format: z.literal(MANIFEST_FORMAT, { error: `not a cardioseg data set manifest (format ${MANIFEST_FORMAT})` }),
  structures: z.array(z.string().min(1), { error: '"structures" must be a list of structure names' }).optional(),
});

/** dataset.json: {"format": "cardioseg-dataset-1", "structures": ["MYO", "LV"], …}; absent = nothing declared. */
function readManifest(root: string): { structures?: string[] } {
  const file = join(root, MANIFEST);
  if (!existsSync(file)) return {};
  const m = readJsonFile(file, ManifestSchema, "cardioseg data set manifest");
  return m.structures === undefined ? {} : { structures: m.structures };
}
