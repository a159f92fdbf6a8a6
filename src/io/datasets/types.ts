// src/io/datasets — data set layouts (ACDC, Sunnybrook, generic image/label folders) turned into
// one flat list of cases. Listing is cheap (names and small text files only); voxels are read when
// a case's loadImage/loadLabels is called, so one bad file fails only its own case.
// types.ts: the case and data set shapes every layout produces.
import { statSync } from "node:fs";
import type { ImageVolume, LabelVolume } from "../image.js";

export type DatasetKind = "acdc" | "sunnybrook" | "generic";

/** The classes every layout's labels are numbered in (ACDC's): 0 background, 1 RV, 2 MYO, 3 LV. */
export const ACDC_LABEL_NAMES: readonly string[] = ["background", "RV", "MYO", "LV"];

export interface DatasetCase {
  /** Unique within the data set, usable as a file name: "patient001_ED", "SCD0000101_59". */
  readonly id: string;
  readonly patient: string;
  /** "ED" or "ES" (ACDC), the DICOM image number (Sunnybrook), or "image" (generic). */
  readonly phase: string;
  readonly imagePath: string;
  /** Label file, or the contour files a label map is drawn from. */
  readonly labelPaths: readonly string[];
  /** Data set details (ACDC group, height, weight, frame number…). */
  readonly info: Readonly<Record<string, string | number>>;
  loadImage(): ImageVolume;
  /** The label map in ACDC numbering on the image's geometry; undefined for an unlabelled case. */
  loadLabels(): LabelVolume | undefined;
}

export interface DatasetProblem {
  readonly file: string;
  readonly message: string;
}

export interface Dataset {
  readonly kind: DatasetKind;
  readonly root: string;
  readonly cases: DatasetCase[];
  /** Files skipped while listing (missing, unreadable, malformed), each with the reason. */
  readonly problems: DatasetProblem[];
  /**
   * Structures the labels annotate (class names, e.g. ["MYO", "LV"] for Sunnybrook, which draws no
   * RV); absent = every structure of the task. `evaluate` scores only these by default.
   */
  readonly structures?: readonly string[];
}

export function problemOf(file: string, err: unknown): DatasetProblem {
  const message = err instanceof Error ? err.message : String(err);
  return { file, message };
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
