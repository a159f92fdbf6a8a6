// inputs.ts owns turning `cardioseg predict`'s INPUT arguments into the volumes to predict: a NIfTI
// file (a 4D cine file gives one volume per frame), a PNG slice, a single DICOM file, or a folder of
// DICOM files (one volume per series, stack and cine phase). Voxels are read only when a volume's
// load() is called, so one unreadable phase fails alone. Each volume also says which study and
// cine it is a frame of (CineMembership), for the study outputs (study.ts).
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
  /** Which study and cine this volume is a frame of (all but PNG inputs). */
  cine?: CineMembership;
}

/**
 * A volume's place in its study: `study` is the input's name (the item name without its
 * _series<N>[_stack<S>] / _phase<PP> / _tNN suffixes); the frames of one `group` (a DICOM series
 * stack or a 4D NIfTI) form one cine, `frame` of `frames`, in temporal order.
 */
export interface CineMembership {
  study: string;
  group: string;
  /** The group's name inside its study ("series300", "series2_stack1"), "" when the input is one group. */
  label: string;
  frame: number;
  frames: number;
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
  if (ext === ".dcm") {
    return [{ input, name: stem, kind: "dicom", load: () => readDicomFile(input), segSource: [input], cine: single(stem, input) }];
  }
  throw new IoError(input, "unknown input type (expected .nii, .nii.gz, .png, .dcm or a folder of DICOM files)");
}

/** A 3D file is one volume; a 4D one is read now and split into frames named <stem>_tNN. */
function niftiItems(input: string, stem: string): PredictItem[] {
  const head = readNifti(input);
  const frames = head.dims.length > 3 ? head.dims.slice(3).reduce((a, b) => a * b, 1) : 1;
  if (frames <= 1) return [{ input, name: stem, kind: "nifti", load: () => head, cine: single(stem, input) }];
  return Array.from({ length: frames }, (_, t) => ({
    input, name: `${stem}_t${String(t).padStart(2, "0")}`, kind: "nifti" as const, load: () => frameOf(head, t),
    cine: { study: stem, group: input, label: "", frame: t, frames },
  }));
}

function single(study: string, input: string): CineMembership {
  return { study, group: input, label: "", frame: 0, frames: 1 };
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
  return volumes.map(({ s, si, ref }) => {
    const label = volumes.length === 1 ? "" : seriesSuffix(s, si, ref.stack);
    const phase = ref.phases > 1 ? `_phase${String(ref.phase).padStart(2, "0")}` : "";
    return {
      input, kind: "dicom" as const, segSource: s as DicomSeries,
      name: volumes.length === 1 ? base : `${base}_${label}${phase}`,
      load: () => loadVolume(ref),
      cine: { study: base, group: `${input}\u0000${s.seriesInstanceUID}\u0000${ref.stack}`, label, frame: ref.phase, frames: ref.phases },
    };
  });
}

function seriesSuffix(s: DicomSeries, index: number, stack: number): string {
  const name = `series${s.seriesNumber ?? index + 1}`;
  return s.volumes.some((v) => v.stack > 0) ? `${name}_stack${stack}` : name;
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
