// convert.ts — the work behind `cardioseg convert`: a Sunnybrook root, an ACDC root, a folder of
// image/label pairs or a DICOM series folder, written out as NIfTI image/label pairs
// (`<stem>.nii.gz` float32 + `<stem>_gt.nii.gz` uint8, ACDC numbering), optionally with PNG
// overlays. A case that fails is reported and skipped; the rest are still written. Labels outside
// the class list (ACDC's four unless told otherwise; 255 marks voxels not annotated) fail their
// case, naming the values. Sunnybrook and ACDC go to one folder per patient plus a dataset.json
// manifest (label legend, annotated structures): the generic layout of src/io/datasets/generic.ts,
// which train, evaluate and convert read.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { ACDC_LABEL_NAMES, loadCase, loadDataset, detectDataset, type Dataset, type DatasetCase, type DatasetProblem } from "./datasets/index.js";
import { problemOf } from "./datasets/types.js";
import { scanDicomFolder, loadVolume, type DicomSeries } from "./dicom/index.js";
import { IoError } from "./errors.js";
import { exportOverlay } from "./exports.js";
import { writeNiftiImage, writeNiftiLabels } from "./nifti/write.js";
import { UNANNOTATED } from "./image.js";
import { MANIFEST, MANIFEST_FORMAT } from "./datasets/generic.js";

export interface ConvertOptions {
  /** Also write `<stem>_overlay.png` for each case. */
  png?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Class names, label 0 first (default ACDC's: background, RV, MYO, LV); other label values fail their case. */
  classes?: readonly string[];
}

export interface ConvertSummary {
  readonly input: string;
  readonly kind: "acdc" | "sunnybrook" | "generic" | "dicom";
  readonly cases: number;
  readonly written: string[];
  /** Inputs that could not be converted (each names its file); any makes the command exit 1. */
  readonly problems: DatasetProblem[];
  /** Handled oddities worth knowing (a series UID shared by two patients, uneven cine phases). */
  readonly warnings: string[];
}

export function convertInput(input: string, outDir: string, options: ConvertOptions = {}): ConvertSummary {
  if (!existsSync(input)) throw new IoError(input, "input does not exist");
  const kind = detectDataset(input);
  const summary = kind ? convertDataset(loadDataset(input, kind), outDir, options) : convertDicomFolder(input, outDir, options);
  writeFileAtomic(join(outDir, "convert-report.json"), JSON.stringify(summary, null, 1) + "\n");
  return summary;
}

/**
 * Output path without extension: Sunnybrook `<patient>/<patient>_<N>`, ACDC `<patient>/<patient>_frameNN`,
 * a generic folder's cases as they were (inside their patient folder in the nested layout).
 */
export function caseStem(ds: Dataset, c: DatasetCase): string {
  if (ds.kind === "sunnybrook") return join(c.patient, `${c.patient}_${c.phase}`);
  if (ds.kind === "acdc") return join(c.patient, `${c.patient}_frame${String(c.info.frame).padStart(2, "0")}`);
  return c.patient !== c.id ? join(c.patient, c.id) : c.id;
}

/** The class list (ACDC numbering by default), plus the value of voxels a partial annotation leaves unknown. */
function labelLegend(classes: readonly string[]): Record<number, string> {
  const legend: Record<number, string> = Object.fromEntries(classes.map((name, v) => [v, name]));
  legend[UNANNOTATED] = "not annotated: background or a structure not drawn on this case (not scored, ignored by training)";
  return legend;
}

/** dataset.json beside a converted ACDC or Sunnybrook data set (read back by the generic layout). */
function writeManifest(ds: Dataset, outDir: string, classes: readonly string[]): string | null {
  if (ds.kind !== "acdc" && ds.kind !== "sunnybrook") return null;
  const path = join(outDir, MANIFEST);
  const structures = ds.structures ?? classes.slice(1);
  const manifest = { format: MANIFEST_FORMAT, source: ds.kind, structures, labels: labelLegend(classes) };
  writeFileAtomic(path, `${JSON.stringify(manifest, null, 1)}\n`);
  return path;
}

function convertDataset(ds: Dataset, outDir: string, options: ConvertOptions): ConvertSummary {
  const written: string[] = [];
  const problems = [...ds.problems];
  for (const c of ds.cases) {
    try {
      const { image, labels } = loadCase(c, options.classes ?? ACDC_LABEL_NAMES);
      const stem = join(outDir, caseStem(ds, c));
      writeNiftiImage(`${stem}.nii.gz`, image);
      written.push(`${stem}.nii.gz`);
      if (labels) {
        writeNiftiLabels(`${stem}_gt.nii.gz`, labels);
        written.push(`${stem}_gt.nii.gz`);
      }
      if (options.png) written.push(exportOverlay(`${stem}_overlay.png`, image, labels));
      options.log?.(`${c.id}: ${stem}.nii.gz${labels ? " + labels" : ""}`);
    } catch (err) {
      problems.push(problemOf(c.imagePath, err));
      options.log?.(`skipped ${c.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (written.length > 0) {
    const manifest = writeManifest(ds, outDir, options.classes ?? ACDC_LABEL_NAMES);
    if (manifest) written.push(manifest);
  }
  return { input: ds.root, kind: ds.kind, cases: ds.cases.length, written, problems, warnings: [] };
}

function convertDicomFolder(input: string, outDir: string, options: ConvertOptions): ConvertSummary {
  const scan = scanDicomFolder(input);
  const problems: DatasetProblem[] = scan.errors.map((e) => ({ file: e.file, message: e.message }));
  if (scan.series.length === 0) {
    const detail = problems.length ? ` (${problems.length} unreadable files, first: ${problems[0].message})` : "";
    throw new IoError(input, `not a recognised data set and no DICOM series found${detail}`);
  }
  const written: string[] = [];
  const used = new Set<string>();
  let cases = 0;
  scan.series.forEach((series, si) => {
    for (const ref of series.volumes) {
      cases++;
      let name = volumeName(series, si, ref.stack, ref.phase, ref.phases, series.volumes.some((v) => v.stack > 0));
      if (used.has(name)) name += `_${si + 1}`; // two series sharing number and description
      used.add(name);
      const stem = join(outDir, name);
      try {
        const image = loadVolume(ref);
        writeNiftiImage(`${stem}.nii.gz`, image);
        written.push(`${stem}.nii.gz`);
        if (options.png) written.push(exportOverlay(`${stem}_overlay.png`, image));
        options.log?.(`${stem}.nii.gz (${image.dims.join("x")})`);
      } catch (err) {
        problems.push(problemOf(ref.slices[0]?.file ?? input, err));
      }
    }
  });
  return { input, kind: "dicom", cases, written, problems, warnings: scan.warnings };
}

/** `series<number>[_stack<s>][_phase<pp>]`, with the description when it is a safe file name. */
function volumeName(series: DicomSeries, index: number, stack: number, phase: number, phases: number, stacks: boolean): string {
  const number = series.seriesNumber ?? index + 1;
  const desc = series.description.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "").slice(0, 40);
  let name = `series${number}${desc ? `_${desc}` : ""}`;
  if (stacks) name += `_stack${stack}`;
  if (phases > 1) name += `_phase${String(phase).padStart(2, "0")}`;
  return name;
}
