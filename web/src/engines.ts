// web/src/engines.ts — the seam between the page and whatever runs the model. The page asks an
// engine to segment some frames of the open study and receives label slices as they finish; it
// does not care where the network runs.
// - ServerEngine: the server's libtorch engine (POST /api/studies/:id/segment, NDJSON stream).
// - BrowserEngine: onnxruntime-web on the model's ONNX export (browser-engine.ts, the model folder
//   model/), so the images never leave the machine: studies are then read in the page (study.ts).
import { api, type SegmentEvent } from "./api.js";
import { BrowserModel } from "./browser-engine.js";
import type { OpenStudy } from "./study.js";

export interface SliceResult {
  frame: number;
  slice: number;
  slices: number;
  /** Labels of one slice, nx * ny bytes, file voxel order. */
  labels: Uint8Array;
}

export interface SegmentCallbacks {
  onSlice(r: SliceResult): void;
  onFrameDone(frame: number, seconds: number): void;
  onQueued(ahead: number): void;
}

export interface SegmentEngine {
  readonly kind: "server" | "browser";
  readonly label: string;
  /** null when usable, else why not (shown beside the toggle). */
  readonly unavailable: string | null;
  segment(study: OpenStudy, frames: number[], cb: SegmentCallbacks, signal: AbortSignal): Promise<{ seconds: number }>;
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class ServerEngine implements SegmentEngine {
  readonly kind = "server";
  readonly label = "on the server (libtorch)";
  constructor(readonly unavailable: string | null) {}

  async segment(study: OpenStudy, frames: number[], cb: SegmentCallbacks, signal: AbortSignal): Promise<{ seconds: number }> {
    if (study.local) {
      throw new Error("this study was opened in this browser only (its images are not on the server): segment it In browser, " +
        "or open it again with Server chosen");
    }
    const res = await api.segment(study.info.id, frames, signal);
    if (!res.body) throw new Error("the server sent no result stream");
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === "") continue;
        const e = JSON.parse(line) as SegmentEvent;
        if (e.type === "slice") cb.onSlice({ frame: e.frame, slice: e.slice, slices: e.slices, labels: decodeBase64(e.labels) });
        else if (e.type === "frame") cb.onFrameDone(e.frame, e.seconds);
        else if (e.type === "queued") cb.onQueued(e.ahead);
        else if (e.type === "error") throw new Error(e.message);
        else if (e.type === "done") return { seconds: e.seconds };
      }
      if (done) throw new Error("the server stopped before finishing (see its log)");
    }
  }
}

export class BrowserEngine implements SegmentEngine {
  readonly kind = "browser";
  readonly label = "in this browser (ONNX Runtime Web)";
  private model: Promise<BrowserModel> | undefined;

  /** `base`: the model folder (model/ beside the page). */
  constructor(readonly unavailable: string | null, private readonly base: URL, private readonly onStatus: (text: string) => void) {}

  /** The model, loaded once (the first Segment in the browser fetches and compiles it). */
  load(): Promise<BrowserModel> {
    this.model ??= BrowserModel.load(this.base, this.onStatus).catch((err: unknown) => {
      this.model = undefined;
      throw err;
    });
    return this.model;
  }

  async segment(study: OpenStudy, frames: number[], cb: SegmentCallbacks, signal: AbortSignal): Promise<{ seconds: number }> {
    if (this.unavailable) throw new Error(this.unavailable);
    const model = await this.load();
    const volumes = await study.frames();
    let seconds = 0;
    for (const t of frames) {
      const started = performance.now();
      const v = volumes[t];
      const [nx, ny, nz = 1] = v.dims;
      const plane = nx * ny;
      await model.segmentFrame(v, (from, to, labels) => {
        for (let k = from; k < to; k++) cb.onSlice({ frame: t, slice: k, slices: nz, labels: labels.subarray((k - from) * plane, (k - from + 1) * plane) });
      }, signal);
      const s = (performance.now() - started) / 1000;
      seconds += s;
      cb.onFrameDone(t, s);
      // let the page draw the finished frame before the next one starts
      await new Promise((r) => setTimeout(r, 0));
    }
    return { seconds };
  }
}
