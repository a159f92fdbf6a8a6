// inputs.ts owns turning `cardioseg predict`'s INPUT arguments into the volumes to predict: a NIfTI
// file (a 4D cine file gives one volume per frame), a PNG slice, a single DICOM file, or a folder of
// DICOM files (one volume per series, stack and cine phase). Voxels are read only when a volume's
// load() is called, so one unreadable phase fails alone.
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { IoError } from "../io/errors.js";
import type { ImageVolume } from "../io/image.js";
import { readNifti } from "../io/nifti/index.js";
import { readPng } from "../io/png.js";
import { readDicomFile, scanDicomFolder, loadVolume, type DicomSegSource, type DicomSeries } from "../io/dicom/index.js";
import { imageExtension } from "../io/volumes.js";

export type InputKind = "nifti" | "png" | "dicom";

export interface PredictItem {
  /** The INPUT argument it came from. */
  input: string;
  /** Output name, unique among all items (used as folder and file stem). */
  name: string;
  kind: InputKind;
  load(): ImageVolume;
  /** DICOM inputs: what a DICOM SEG references. */
  segSource?: DicomSegSource;
}

export interface InputOptions {
  /** PNG pixel size in mm (PNGs carry no geometry). Default 1. */
  pngSpacing?: number;
  /** Handled oddities inside a DICOM folder (a series UID shared by two patients…). */
  onWarning?: (message: string) => void;
  /** Unreadable files inside a DICOM folder (the rest of the folder is still used); default: onWarning. */
  onFileError?: (file: string, message: string) => void;
}

/** File name without its image extension (".nii.gz" as a whole). */
export function stemOf(path: string): string {
  const name = basename(path);
  const ext = imageExtension(name);
  return ext ? name.slice(0, name.length - ext.length) : name;
}

/** The volumes of one INPUT argument; throws an Error naming the input when it has none. */
export function expandInput(input: string, o: InputOptions = {}): PredictItem[] {
  if (!existsSync(input)) throw new IoError(input, "no such file or folder");
  if (statSync(input).isDirectory()) return dicomFolderItems(input, o);
  const ext = imageExtension(input);
  const stem = stemOf(input);
  if (ext === ".nii" || ext === ".nii.gz") return niftiItems(input, stem);
  if (ext === ".png") {
    const spacing = o.pngSpacing ?? 1;
    return [{ input, name: stem, kind: "png", load: () => readPng(input, { spacing: [spacing, spacing] }) }];
  }
  if (ext === ".dcm") return [{ input, name: stem, kind: "dicom", load: () => readDicomFile(input), segSource: [input] }];
  throw new IoError(input, "unknown input type (expected .nii, .nii.gz, .png, .dcm or a folder of DICOM files)");
}

/** A 3D file is one volume; a 4D one is read now and split into frames named <stem>_tNN. */
function niftiItems(input: string, stem: string): PredictItem[] {
  const head = readNifti(input);
  const frames = head.dims.length > 3 ? head.dims.slice(3).reduce((a, b) => a * b, 1) : 1;
  if (frames <= 1) return [{ input, name: stem, kind: "nifti", load: () => head }];
  return Array.from({ length: frames }, (_, t) => ({
    input, name: `${stem}_t${String(t).padStart(2, "0")}`, kind: "nifti" as const, load: () => frameOf(head, t),
  }));
}

export function frameOf(v: ImageVolume, t: number): ImageVolume {
  const dims = v.dims.slice(0, 3);
  const n = dims.reduce((a, b) => a * b, 1);
  return { data: v.data.subarray(t * n, (t + 1) * n), dims, spacing: v.spacing.slice(0, 3), affine: v.affine, meta: { ...v.meta, frame: t } };
}

function dicomFolderItems(input: string, o: InputOptions): PredictItem[] {
  const scan = scanDicomFolder(input);
  for (const e of scan.errors) {
    if (o.onFileError) o.onFileError(e.file, e.message);
    else o.onWarning?.(`${input}: skipped ${e.message}`);
  }
  for (const w of scan.warnings) o.onWarning?.(`${input}: ${w}`);
  const volumes = scan.series.flatMap((s, si) => s.volumes.map((ref) => ({ s, si, ref })));
  if (volumes.length === 0) {
    const why = scan.errors.length > 0 ? ` (${scan.errors.length} unreadable files, first: ${scan.errors[0].message})` : "";
    throw new IoError(input, `no DICOM image series found${why}`);
  }
  const base = basename(input.replace(/[\\/]+$/, "")) || "dicom";
  return volumes.map(({ s, si, ref }) => ({
    input, kind: "dicom" as const, segSource: s as DicomSeries,
    name: volumes.length === 1 ? base : `${base}_${volumeSuffix(s, si, ref.stack, ref.phase, ref.phases)}`,
    load: () => loadVolume(ref),
  }));
}

function volumeSuffix(s: DicomSeries, index: number, stack: number, phase: number, phases: number): string {
  let name = `series${s.seriesNumber ?? index + 1}`;
  if (s.volumes.some((v) => v.stack > 0)) name += `_stack${stack}`;
  if (phases > 1) name += `_phase${String(phase).padStart(2, "0")}`;
  return name;
}

/** Appends _2, _3… to names already taken, so two inputs called image.nii.gz do not collide. */
export function uniqueNames(items: PredictItem[]): PredictItem[] {
  const used = new Set<string>();
  return items.map((it) => {
    let name = it.name, n = 1;
    while (used.has(name)) name = `${it.name}_${++n}`;
    used.add(name);
    return name === it.name ? it : { ...it, name };
  });
}
