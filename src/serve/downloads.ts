// src/serve/downloads.ts — a study's label maps in the formats a user takes away, written by the
// same writers as `cardioseg predict`: the label NIfTI in the input's own geometry (one frame, or
// every frame as 4D), DICOM SEG for DICOM inputs, and Sunnybrook-style contour files; several
// files travel as one zip (fflate).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { zipSync } from "fflate";
import { writeDicomSeg } from "../io/dicom/index.js";
import { exportContours } from "../io/exports.js";
import { labelLike, type LabelVolume } from "../io/image.js";
import { encodeNifti1 } from "../io/nifti/write.js";
import type { Study } from "./studies.js";

export interface Download { filename: string; type: string; body: Uint8Array }

/** A file-name-safe form of the study's name (letters, digits, - and _). */
export function safeStem(name: string): string {
  return name.replace(/\.nii(\.gz)?$/i, "").replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60) || "study";
}

function frameLabels(s: Study, t: number): LabelVolume {
  const data = s.labels[t];
  if (!data) throw new Error(`frame ${s.frameNames[t]} has no labels yet: press Segment first`);
  return labelLike(s.frames[t], data);
}

function segmentedFrames(s: Study, frame: number | undefined): number[] {
  if (frame !== undefined) {
    if (!Number.isInteger(frame) || frame < 0 || frame >= s.frames.length) throw new Error(`no frame ${frame} in this study`);
    return [frame];
  }
  const done = s.labels.flatMap((l, t) => (l ? [t] : []));
  if (done.length === 0) throw new Error("nothing segmented yet: press Segment first");
  return done;
}

/** One frame as a 3D label NIfTI, or (no frame given) all frames as 4D, unsegmented frames empty. */
export function labelNifti(s: Study, frame?: number): Download {
  const stem = safeStem(s.name);
  if (frame !== undefined || s.frames.length === 1) {
    const t = segmentedFrames(s, frame ?? 0)[0];
    const name = s.frames.length === 1 ? stem : `${stem}_${safeStem(s.frameNames[t])}`;
    return { filename: `${name}_pred.nii.gz`, type: "application/gzip", body: gzipSync(encodeNifti1(frameLabels(s, t), { as: "uint8" }), { level: 6 }) };
  }
  segmentedFrames(s, undefined);
  const first = s.frames[0];
  const n = s.labels.length, plane = first.data.length;
  const data = new Uint8Array(plane * n);
  s.labels.forEach((l, t) => { if (l) data.set(l, t * plane); });
  const volume = { data, dims: [...first.dims.slice(0, 3), n], spacing: [...first.spacing.slice(0, 3), 1], affine: first.affine, meta: {} };
  return { filename: `${stem}_pred_4d.nii.gz`, type: "application/gzip", body: gzipSync(encodeNifti1(volume, { as: "uint8" }), { level: 6 }) };
}

/**
 * One DICOM SEG: of one frame, or (no frame given) of every segmented frame of the study, the
 * phases of a cine in one multi-frame SEG on their shared grid (decisions.md: one SEG per study),
 * each slice referencing the image it was predicted from.
 */
export function dicomSeg(s: Study, classNames: readonly string[], frame?: number): Download {
  if (s.source !== "dicom" || !s.segSource) throw new Error("DICOM SEG is written for DICOM inputs only");
  const stem = safeStem(s.name);
  const frames = segmentedFrames(s, frame);
  const name = frame !== undefined && s.frames.length > 1 ? `${stem}_${safeStem(s.frameNames[frame])}_seg.dcm` : `${stem}_seg.dcm`;
  return withScratch(s, (dir) => {
    writeDicomSeg(join(dir, name), frames.map((t) => frameLabels(s, t)), s.segSource, classNames);
    return { filename: name, type: "application/dicom", body: readFileSync(join(dir, name)) };
  });
}

/** LV endocardium / epicardium contour files of every segmented frame, zipped (one folder per frame). */
export function contoursZip(s: Study, frame?: number): Download {
  const stem = safeStem(s.name);
  return withScratch(s, (dir) => {
    for (const t of segmentedFrames(s, frame)) {
      const sub = s.frames.length === 1 ? stem : `${stem}_${safeStem(s.frameNames[t])}`;
      exportContours(join(dir, sub), sub, frameLabels(s, t));
    }
    const files: Record<string, Uint8Array> = {};
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files[relative(dir, p)] = readFileSync(p);
      }
    };
    walk(dir);
    if (Object.keys(files).length === 0) throw new Error("no LV found in the labels: no contours to write");
    return { filename: `${stem}_contours.zip`, type: "application/zip", body: zipSync(files) };
  });
}

/** A scratch folder inside the study's private folder (or the system temp), always removed. */
function withScratch<T>(s: Study, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(s.dir ?? tmpdir(), "download-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
