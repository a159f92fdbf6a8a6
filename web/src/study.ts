// web/src/study.ts — the study the page has open, wherever its images are:
// - ServerStudy: uploaded to the server or opened from its --data folder; the server keeps the
//   voxels and a copy of the labels for the downloads (routes in README, "Web app").
// - LocalStudy: read in this browser by cardioseg's own readers (local-io.ts, a chunk loaded on
//   first use); nothing is sent anywhere, the downloads are written here too.
// Both give the page the same StudyInfo, the viewer's NIfTI, ground truth, the frames' voxels (for
// the in-browser engine) and the downloads; the page does not care which it holds.
import { api, type StudyInfo } from "./api.js";
import type { ImageVolume } from "../../src/io/image.js";
import type { DownloadKind, Study } from "./local-io.js";
import type { PickedFile } from "./open.js";

type LocalIo = typeof import("./local-io.js");
let localIo: Promise<LocalIo> | undefined;

/** The in-browser reading and writing code (a separate chunk: dcmjs, the codecs, the readers). */
export function loadLocalIo(): Promise<LocalIo> {
  localIo ??= import("./local-io.js");
  return localIo;
}

export interface OpenStudy {
  readonly info: StudyInfo;
  /** True when the images exist only in this browser. */
  readonly local: boolean;
  /** The frames as one NIfTI, as a URL the viewer can load. */
  imageUrl(): Promise<string>;
  truth(frame: number): Promise<Uint8Array | null>;
  /** Labels the study already has (segmented before, or saved corrections). */
  savedLabels(frame: number): Promise<Uint8Array | null>;
  /** Keeps the labels for the downloads (the server's copy, or this page's). */
  saveLabels(frame: number, labels: Uint8Array): Promise<void>;
  /** The 3D frames' voxels, in the file's order (for the in-browser engine). */
  frames(): Promise<ImageVolume[]>;
  download(what: DownloadKind, classNames: readonly string[], frame?: number): Promise<{ href: string; filename: string; revoke?: () => void }>;
  /** Marks the study as in use (a server study expires after its TTL). */
  touch(): void;
  close(): void;
}

export class ServerStudy implements OpenStudy {
  readonly local = false;
  private frameCache: Promise<ImageVolume[]> | undefined;
  constructor(readonly info: StudyInfo) {}

  async imageUrl(): Promise<string> {
    return api.imageUrl(this.info.id);
  }

  truth(frame: number): Promise<Uint8Array | null> {
    return this.info.hasTruth[frame] ? api.truth(this.info.id, frame) : Promise.resolve(null);
  }

  savedLabels(frame: number): Promise<Uint8Array | null> {
    return this.info.segmented[frame] ? api.labels(this.info.id, frame) : Promise.resolve(null);
  }

  saveLabels(frame: number, labels: Uint8Array): Promise<void> {
    return api.saveLabels(this.info.id, frame, labels);
  }

  /** The server's image (already on the server: fetching it back sends nothing new there). */
  frames(): Promise<ImageVolume[]> {
    this.frameCache ??= (async () => {
      const bytes = await api.bytes(api.imageUrl(this.info.id));
      if (!bytes) throw new Error("the server no longer has this study's image");
      return (await loadLocalIo()).framesOfNifti(bytes, this.info.frames.length);
    })();
    return this.frameCache;
  }

  async download(what: DownloadKind, _classNames: readonly string[], frame?: number): Promise<{ href: string; filename: string }> {
    return { href: api.downloadUrl(this.info.id, what, frame), filename: "" };
  }

  touch(): void {
    void api.touch(this.info.id).catch(() => undefined);
  }

  close(): void {
    api.close(this.info.id);
  }
}

export class LocalStudy implements OpenStudy {
  readonly local = true;
  private url: string | undefined;
  private constructor(readonly info: StudyInfo, private readonly study: Study, private readonly io: LocalIo) {}

  /** Reads the picked files here: no request carries them anywhere. */
  static async open(files: readonly PickedFile[], name: string): Promise<LocalStudy> {
    const io = await loadLocalIo();
    const study = await io.openLocalStudy(files, name);
    return new LocalStudy(io.localStudyInfo(study), study, io);
  }

  async imageUrl(): Promise<string> {
    this.url ??= URL.createObjectURL(new Blob([this.io.viewerImage(this.study) as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
    return this.url;
  }

  async truth(frame: number): Promise<Uint8Array | null> {
    return this.study.truth[frame]?.data ?? null;
  }

  async savedLabels(frame: number): Promise<Uint8Array | null> {
    return this.study.labels[frame] ?? null;
  }

  async saveLabels(frame: number, labels: Uint8Array): Promise<void> {
    this.study.labels[frame] = labels.slice();
  }

  async frames(): Promise<ImageVolume[]> {
    return this.study.frames;
  }

  async download(what: DownloadKind, classNames: readonly string[], frame?: number): Promise<{ href: string; filename: string; revoke: () => void }> {
    const d = this.io.localDownload(this.study, what, classNames, frame);
    const href = URL.createObjectURL(new Blob([d.body as Uint8Array<ArrayBuffer>], { type: d.type }));
    return { href, filename: d.filename, revoke: () => URL.revokeObjectURL(href) };
  }

  touch(): void {
    // nothing to keep alive: the study lives in this page
  }

  close(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.io.closeLocalStudy(this.study);
  }
}
