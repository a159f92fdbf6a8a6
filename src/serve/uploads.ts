// src/serve/uploads.ts — turning the files a page uploaded (already saved in a private folder)
// into one study: a NIfTI file (3D, or 4D cine split into frames), several 3D NIfTI frames of one
// geometry (with `_gt` label files and an ACDC Info.cfg beside them), or a DICOM series folder
// (its cine phases become frames). Every failure is an Error whose message names the file as the
// user called it; the server answers it as a 400 and keeps serving.
import { IoError, readInputText } from "../io/errors.js";
import { parseAcdcInfo } from "../io/datasets/index.js";
import { loadVolume, scanDicomFiles, type DicomSeries, type DicomVolumeRef } from "../io/dicom/index.js";
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { readNifti } from "../io/nifti/index.js";
import { toLabels } from "../io/volumes.js";
import { frameOf, stemOf } from "../infer/inputs.js";
import type { EdEs, StudyContent } from "./studies.js";

export interface UploadedFile {
  /** Name as the user's browser gave it (folder path stripped). */
  name: string;
  /** Where it was saved. */
  path: string;
}

/** Largest decoded study (all frames), bytes: a small .nii.gz may claim far more. */
export const MAX_DECODED_BYTES = 2 ** 30;

const NIFTI = /\.nii(\.gz)?$/i;
const TRUTH = /_gt\.nii(\.gz)?$/i;
/** Files a browser or OS adds to folders, never images. */
const IGNORED = /^(\.ds_store|thumbs\.db|desktop\.ini|mandatory_citation\.md|readme.*)$/i;

/** A browser's file name reduced to a safe base name (no folders, no leading dot, printable). */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base.replace(/[^A-Za-z0-9._^() +-]/g, "_").replace(/^\.+/, "_").slice(-200);
  return clean === "" ? "file" : clean;
}

/** Removes the private folder's path from a reader's message, leaving the file as the user named it. */
export function scrubPaths(message: string, dir: string): string {
  return message.split(`${dir}/`).join("").replace(/(^|[\s(])\d{5}\//g, "$1");
}

export function studyFromUpload(files: readonly UploadedFile[], displayName: string): StudyContent {
  if (files.length === 0) throw new Error("no files were uploaded");
  // The page sends the dropped folder's or first file's name: show it without an image extension.
  displayName = displayName ? stemOf(displayName) : "";
  const wanted = files.filter((f) => !IGNORED.test(f.name));
  const info = wanted.find((f) => f.name.toLowerCase() === "info.cfg");
  const nifti = wanted.filter((f) => NIFTI.test(f.name));
  if (nifti.length > 0) return niftiStudy(nifti, info, wanted.length - nifti.length - (info ? 1 : 0), displayName);
  return dicomStudy(wanted.filter((f) => f !== info), displayName);
}

function readInfo(info: UploadedFile | undefined): { ed: number; es: number } | undefined {
  if (!info) return undefined;
  // An Info.cfg is a few lines; a large file under that name is refused before it is read.
  const parsed = parseAcdcInfo(readInputText(info.path, 1 << 20), info.name);
  return { ed: parsed.ed, es: parsed.es };
}

function niftiStudy(files: readonly UploadedFile[], info: UploadedFile | undefined, others: number, name: string): StudyContent {
  const images = files.filter((f) => !TRUTH.test(f.name)).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  const truths = new Map(files.filter((f) => TRUTH.test(f.name)).map((f) => [f.name.replace(TRUTH, "").toLowerCase(), f]));
  if (images.length === 0) throw new Error("only label files (_gt) were uploaded; add the image they belong to");
  const warnings = others > 0 ? [`${others} file(s) that are not NIfTI were ignored`] : [];
  const cfg = readInfo(info);
  const volumes = images.map((f) => read(f));
  const cine = volumes.findIndex((v) => (v.dims[3] ?? 1) > 1);
  if (cine >= 0) {
    if (images.length > 1) warnings.push(`${images[cine].name} is a 4D cine: the other ${images.length - 1} file(s) were not opened`);
    const v = volumes[cine];
    const frames = Array.from({ length: v.dims[3] }, (_, t) => frameOf(v, t));
    // Info.cfg counts ACDC frames from 1; the 4D file's first frame is frame01.
    const edEs = cfg && inRange(cfg.ed - 1, frames.length) && inRange(cfg.es - 1, frames.length)
      ? { ed: cfg.ed - 1, es: cfg.es - 1, from: "Info.cfg" } : undefined;
    return {
      name: name || stemOf(images[cine].name), source: "nifti", frames, warnings, edEs,
      frameNames: frames.map((_, t) => `t${String(t).padStart(2, "0")}`), truth: frames.map(() => undefined),
    };
  }
  const truth = images.map((f) => {
    const t = truths.get(f.name.replace(NIFTI, "").toLowerCase());
    return t ? labelsOf(t) : undefined;
  });
  const frameNumbers = images.map((f) => Number(/frame0*(\d+)/i.exec(f.name)?.[1] ?? NaN));
  let edEs: EdEs | undefined;
  if (cfg) {
    const ed = frameNumbers.indexOf(cfg.ed), es = frameNumbers.indexOf(cfg.es);
    if (ed >= 0 && es >= 0) edEs = { ed, es, from: "Info.cfg" };
  }
  const frameNames = images.map((f, i) => (edEs?.ed === i ? "ED" : edEs?.es === i ? "ES" : stemOf(f.name)));
  return { name: name || stemOf(images[0].name), source: "nifti", frames: volumes, frameNames, truth, edEs, warnings };
}

function inRange(i: number, n: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < n;
}

function read(f: UploadedFile): ImageVolume {
  const v = readNifti(f.path, { maxBytes: MAX_DECODED_BYTES });
  return { ...v, meta: { ...v.meta, file: f.name } };
}

function labelsOf(f: UploadedFile): LabelVolume {
  return toLabels(read(f), f.name);
}

/** The series with the most images, and in it the stack with the most phases, one frame per phase. */
function dicomStudy(files: readonly UploadedFile[], name: string): StudyContent {
  if (files.length === 0) throw new Error("no image files were uploaded (expected NIfTI files or a DICOM series)");
  const scan = scanDicomFiles(files.map((f) => f.path));
  const warnings: string[] = [];
  if (scan.errors.length > 0) warnings.push(`${scan.errors.length} file(s) skipped, first: ${scan.errors[0].message}`);
  const series = [...scan.series].filter((s) => s.volumes.length > 0).sort((a, b) => b.instances.length - a.instances.length);
  if (series.length === 0) {
    const why = scan.errors[0]?.message;
    if (files.length === 1 && why) throw new Error(why);
    throw new IoError(`${files.length} file(s)`, `no DICOM image series found${why ? ` (first problem: ${why})` : ""}`);
  }
  const chosen: DicomSeries = series[0];
  if (series.length > 1) warnings.push(`${series.length - 1} other series not opened (upload one series at a time)`);
  const stacks = new Map<number, DicomVolumeRef[]>();
  for (const v of chosen.volumes) stacks.set(v.stack, [...(stacks.get(v.stack) ?? []), v]);
  const refs = [...stacks.values()].sort((a, b) => b.length - a.length)[0].sort((a, b) => a.phase - b.phase);
  if (stacks.size > 1) warnings.push(`${stacks.size - 1} other stack(s) of the series not opened`);
  const frames = refs.map((r) => loadVolume(r));
  return {
    name: name || chosen.description || "DICOM series", source: "dicom", frames, segSource: chosen, warnings,
    frameNames: refs.map((r) => (refs.length > 1 ? `phase ${String(r.phase).padStart(2, "0")}` : "image")),
    truth: frames.map(() => undefined),
  };
}
