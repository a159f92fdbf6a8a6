// web/src/local-io.ts — studies read and written inside the browser (the in-browser path: the
// images never leave the machine). It runs the server's own code: the picked files go into an
// in-memory file tree (shims/fs.ts) laid out as the server lays out an upload, src/serve/uploads.ts
// turns them into a study (NIfTI 3D/4D with _gt and Info.cfg, or a DICOM series whose cine phases
// become frames), and src/serve/downloads.ts writes the label NIfTI, the DICOM SEG and the contour
// files. Loaded as a separate chunk (app.ts imports it when needed), with the Node built-ins mapped
// to web/src/shims by the bundler.
import { decodeNifti } from "../../src/io/nifti/read.js";
import type { ImageVolume } from "../../src/io/image.js";
import { frameOf } from "../../src/infer/inputs.js";
import { contoursZip, dicomSeg, labelNifti, type Download } from "../../src/serve/downloads.js";
import { checkFrames, studyInfo, viewerNifti, type Study, type StudyInfo } from "../../src/serve/studies.js";
import { safeFileName, scrubPaths, studyFromUpload, type UploadedFile } from "../../src/serve/uploads.js";
import type { PickedFile } from "./open.js";
import { mountFile, unmount } from "./shims/fs.js";

export type { Download, Study, StudyInfo };
export type DownloadKind = "labels.nii.gz" | "seg" | "contours.zip";

let opened = 0;

/** Reads the picked files into a study held in this page (the in-memory tree keeps them until it closes). */
export async function openLocalStudy(picked: readonly PickedFile[], name: string): Promise<Study> {
  if (picked.length === 0) throw new Error("no files chosen");
  const dir = `/studies/study-${++opened}`;
  const files: UploadedFile[] = [];
  try {
    for (const [i, f] of picked.entries()) {
      const file = { name: safeFileName(f.name), path: "" };
      file.path = `${dir}/${String(i).padStart(5, "0")}/${file.name}`;
      mountFile(file.path, new Uint8Array(await f.file.arrayBuffer()));
      files.push(file);
    }
    const content = studyFromUpload(files, name);
    checkFrames(content);
    return { ...content, id: `local-${opened}`, labels: content.frames.map(() => undefined), dir, lastUsed: Date.now() };
  } catch (err) {
    unmount(dir);
    throw new Error(`cannot open the files: ${scrubPaths(err instanceof Error ? err.message : String(err), dir)}`);
  }
}

/** What the page shows about a study (the server's StudyInfo for the same study). */
export function localStudyInfo(s: Study): StudyInfo {
  return studyInfo(s);
}

/** The frames as one NIfTI for the viewer (the server's viewerNifti). */
export function viewerImage(s: Study): Uint8Array {
  return viewerNifti(s);
}

/** The file a download button gives, made here from the page's labels. */
export function localDownload(s: Study, what: DownloadKind, classNames: readonly string[], frame?: number): Download {
  if (what === "labels.nii.gz") return labelNifti(s, frame);
  if (what === "seg") return dicomSeg(s, classNames, frame);
  return contoursZip(s, frame);
}

/** Forgets a study's files. */
export function closeLocalStudy(s: Study): void {
  if (s.dir) unmount(s.dir);
}

/** The frames of a study's viewer NIfTI (a study opened on the server, segmented in the browser). */
export function framesOfNifti(bytes: Uint8Array, frames: number): ImageVolume[] {
  const v = decodeNifti(bytes, "image.nii");
  const n = (v.dims[3] ?? 1);
  if (n !== frames) throw new Error(`the server's image has ${n} frame(s), the study ${frames}`);
  return Array.from({ length: n }, (_, t) => frameOf(v, t));
}
