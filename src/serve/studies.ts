// src/serve/studies.ts — the studies a page has open: frames of one scan (a cine's phases, or
// the ED/ES frames of a data-set patient) sharing one 3D geometry, their ground truth when known,
// the label maps the model or the user produced, and where uploads lie on disk. The store deletes
// a study (and its private upload folder) when the page closes it, after it sat unused for the
// TTL, or when too many are open; nothing outlives the server.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DicomSegSource } from "../io/dicom/index.js";
import { assertSameGeometry, voxelCount, type ImageVolume, type LabelVolume } from "../io/image.js";
import { encodeNifti1 } from "../io/nifti/write.js";
import type { UploadLimits } from "./options.js";

export type StudySource = "nifti" | "dicom" | "dataset";

/** ED/ES as frame indices, and where they came from ("Info.cfg", "data set"). */
export interface EdEs { ed: number; es: number; from: string }

export interface StudyContent {
  /** Shown on the page (the file or folder name); never written to the server log. */
  name: string;
  source: StudySource;
  /** 3D frames sharing one geometry. */
  frames: ImageVolume[];
  /** One per frame: "t00", "phase 03", "ED"… */
  frameNames: string[];
  truth: (LabelVolume | undefined)[];
  edEs?: EdEs;
  /** DICOM inputs: the series a DICOM SEG references. */
  segSource?: DicomSegSource;
  warnings: string[];
}

export interface Study extends StudyContent {
  readonly id: string;
  /** Label map per frame (NIfTI voxel order), once segmented or saved. */
  labels: (Uint8Array | undefined)[];
  /** Private upload folder, deleted with the study. */
  dir?: string;
  lastUsed: number;
}

/** The JSON the page receives about a study (no voxels). */
export interface StudyInfo {
  id: string;
  name: string;
  source: StudySource;
  dims: number[];
  spacing: number[];
  frames: string[];
  hasTruth: boolean[];
  segmented: boolean[];
  edEs: EdEs | null;
  warnings: string[];
}

export function checkFrames(content: StudyContent): void {
  const [first] = content.frames;
  if (!first) throw new Error("the study has no image frames");
  for (const f of content.frames) {
    if (f.dims.slice(3).some((d) => d > 1)) throw new Error(`frame of dims ${f.dims.join("x")} is not 3D`);
    assertSameGeometry(first, f, "frames of one study");
  }
  content.truth.forEach((t, i) => { if (t) assertSameGeometry(first, t, `ground truth of frame ${content.frameNames[i]}`); });
}

export function studyInfo(s: Study): StudyInfo {
  const f = s.frames[0];
  return {
    id: s.id, name: s.name, source: s.source, dims: f.dims.slice(0, 3), spacing: f.spacing.slice(0, 3),
    frames: s.frameNames, hasTruth: s.truth.map((t) => t !== undefined), segmented: s.labels.map((l) => l !== undefined),
    edEs: s.edEs ?? null, warnings: s.warnings,
  };
}

/**
 * The frames as one NIfTI for the viewer (4D when there are several). The affine's columns are
 * rescaled to the voxel spacing where a file's sform omits it (ACDC's do), so the viewer draws
 * true millimetres; label maps for download keep the input's own affine (see downloads.ts).
 */
export function viewerNifti(s: Study): Uint8Array {
  const f = s.frames[0];
  const n = voxelCount(f.dims.slice(0, 3));
  const data = new Float32Array(n * s.frames.length);
  s.frames.forEach((fr, t) => data.set(fr.data, t * n));
  const affine = f.affine.slice();
  for (let c = 0; c < 3; c++) {
    const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
    const want = f.spacing[c];
    if (norm > 0 && want > 0 && Math.abs(norm - want) > 1e-3 * want) for (let r = 0; r < 3; r++) affine[r * 4 + c] *= want / norm;
  }
  const dims = s.frames.length > 1 ? [...f.dims.slice(0, 3), s.frames.length] : f.dims.slice(0, 3);
  const spacing = s.frames.length > 1 ? [...f.spacing.slice(0, 3), 1] : f.spacing.slice(0, 3);
  return encodeNifti1({ data, dims, spacing, affine, meta: {} }, { as: "float32" });
}

export class StudyStore {
  /** Root of every upload folder of this server (mode 0700), removed on close. */
  readonly uploadRoot: string;
  private readonly studies = new Map<string, Study>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly limits: UploadLimits, private readonly now: () => number = Date.now) {
    this.uploadRoot = mkdtempSync(join(tmpdir(), "cardioseg-serve-"));
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, limits.studyTtlMs / 4)));
    this.sweeper.unref();
  }

  /** A new private folder for one upload (inside uploadRoot). */
  newUploadDir(): string {
    return mkdtempSync(join(this.uploadRoot, "study-"));
  }

  add(content: StudyContent, dir?: string): Study {
    checkFrames(content);
    const study: Study = { ...content, id: randomBytes(12).toString("base64url"), labels: content.frames.map(() => undefined), dir, lastUsed: this.now() };
    this.studies.set(study.id, study);
    while (this.studies.size > this.limits.maxStudies) {
      const oldest = [...this.studies.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
      this.close(oldest.id);
    }
    return study;
  }

  get(id: string): Study | undefined {
    const s = this.studies.get(id);
    if (s) s.lastUsed = this.now();
    return s;
  }

  get size(): number {
    return this.studies.size;
  }

  /** Forgets a study and deletes its upload folder; false when it was not open. */
  close(id: string): boolean {
    const s = this.studies.get(id);
    if (!s) return false;
    this.studies.delete(id);
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
    return true;
  }

  sweep(): void {
    const cutoff = this.now() - this.limits.studyTtlMs;
    for (const s of [...this.studies.values()]) if (s.lastUsed < cutoff) this.close(s.id);
  }

  dispose(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.studies.keys()]) this.close(id);
    rmSync(this.uploadRoot, { recursive: true, force: true });
  }
}
