// generic.ts — a plain folder of image/label pairs, NIfTI or PNG (DICOM files also work):
// either `X.nii.gz` next to `X_gt.nii.gz`, or images/X.png with labels/X.png (or labels/X_gt.png).
// Images without a label file are listed as unlabelled cases.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { imageExtension, readImageFile, readLabelFile } from "../volumes.js";
import { isDir, type Dataset, type DatasetCase } from "./types.js";

const LABEL_SUFFIX = "_gt";

function stemOf(name: string): string | undefined {
  const ext = imageExtension(name);
  return ext ? name.slice(0, -ext.length) : undefined;
}

function imageFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith(".") && imageExtension(n) !== undefined).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

export function isSplitFolder(root: string): boolean {
  return isDir(join(root, "images")) && isDir(join(root, "labels"));
}

/** True when `root` holds at least one image file (or images/ + labels/). */
export function isGenericRoot(root: string): boolean {
  return isSplitFolder(root) || (isDir(root) && imageFiles(root).some((n) => !n.toLowerCase().endsWith(".dcm")));
}

export function loadGeneric(root: string): Dataset {
  const split = isSplitFolder(root);
  const imageDir = split ? join(root, "images") : root;
  const labelDir = split ? join(root, "labels") : root;
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
    cases.push(genericCase(stem, join(imageDir, name), label ? join(labelDir, label) : undefined));
  }
  return { kind: "generic", root, cases, problems: [] };
}

function genericCase(id: string, imagePath: string, labelPath: string | undefined): DatasetCase {
  return {
    id,
    patient: id,
    phase: "image",
    imagePath,
    labelPaths: labelPath ? [labelPath] : [],
    info: {},
    loadImage: () => readImageFile(imagePath),
    loadLabels: () => (labelPath ? readLabelFile(labelPath) : undefined),
  };
}
