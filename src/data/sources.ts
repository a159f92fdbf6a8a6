// sources.ts owns the bridge from a data set folder (any layout src/io/datasets knows: ACDC and
// the synthetic phantom, which uses the ACDC layout; Sunnybrook; generic image/label pairs) to
// validated 2D slices. Unlabelled cases are skipped (only labelled slices train); a case that
// fails to load or validate stops everything with its file named, unless skipBadCases is set.
import { basename } from "node:path";
import { loadDataset, type DatasetCase, type DatasetKind, type DatasetProblem } from "../io/datasets/index.js";
import { slicesFromCase, type ExtractOptions, type LabelledCase } from "./slices.js";
import type { Slice2D } from "./types.js";
import { pushAll } from "../util/array.js";

export interface DatasetSliceOptions extends ExtractOptions {
  /** Layout; detected from the folder when absent. */
  readonly kind?: DatasetKind;
  /** Load only these patients (e.g. one side of a split); all when absent. */
  readonly patients?: readonly string[];
  /** Report bad cases in `problems` and carry on instead of throwing (default false). */
  readonly skipBadCases?: boolean;
}

export interface DatasetSlices {
  readonly kind: DatasetKind;
  readonly root: string;
  readonly slices: Slice2D[];
  /** Patients with at least one slice, sorted. */
  readonly patients: string[];
  /** Files skipped while listing, plus bad cases when skipBadCases is set. */
  readonly problems: DatasetProblem[];
  /** Cases listed without labels (not used for training). */
  readonly unlabelled: number;
}

/** Case id as the brief of the pipeline names it: the ACDC file stem (patient001_frame01), else the layout's id. */
function caseIdOf(kind: DatasetKind, c: DatasetCase): string {
  if (kind !== "acdc") return c.id;
  return basename(c.imagePath).replace(/\.nii(\.gz)?$/i, "");
}

function loadLabelled(kind: DatasetKind, c: DatasetCase): LabelledCase | undefined {
  const label = c.loadLabels();
  if (!label) return undefined;
  const image = c.loadImage();
  return {
    patient: c.patient, caseId: caseIdOf(kind, c), phase: c.phase, image, label,
    imageFile: c.imagePath, labelFile: c.labelPaths.join(" + ") || c.imagePath,
  };
}

export function loadDatasetSlices(root: string, opts: DatasetSliceOptions = {}): DatasetSlices {
  const ds = loadDataset(root, opts.kind);
  const wanted = opts.patients ? new Set(opts.patients) : undefined;
  const problems = [...ds.problems];
  const slices: Slice2D[] = [];
  let unlabelled = 0, used = 0;
  for (const c of ds.cases) {
    if (wanted && !wanted.has(c.patient)) continue;
    if (c.labelPaths.length === 0) { unlabelled++; continue; }
    try {
      const lc = loadLabelled(ds.kind, c);
      if (!lc) { unlabelled++; continue; }
      pushAll(slices, slicesFromCase(lc, opts));
      used++;
    } catch (err) {
      if (!opts.skipBadCases) throw err;
      problems.push({ file: c.imagePath, message: err instanceof Error ? err.message : String(err) });
    }
  }
  if (used === 0) {
    const why = problems.slice(0, 3).map((p) => p.message).join("; ");
    throw new Error(`${root}: no usable labelled cases (${ds.kind} layout, ${ds.cases.length} case(s) listed, ${unlabelled} unlabelled${why ? `; problems: ${why}` : ""})`);
  }
  if (slices.length === 0) throw new Error(`${root}: ${used} labelled case(s) but no slices${opts.keepEmpty === false ? " with foreground" : ""}`);
  const patients = [...new Set(slices.map((s) => s.provenance.patient))].sort();
  return { kind: ds.kind, root, slices, patients, problems, unlabelled };
}

/** Patients of a data set folder without reading any voxels (for splitting before loading). */
export function listDatasetPatients(root: string, kind?: DatasetKind): string[] {
  const ds = loadDataset(root, kind);
  return [...new Set(ds.cases.filter((c) => c.labelPaths.length > 0).map((c) => c.patient))].sort();
}
