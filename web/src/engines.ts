// web/src/engines.ts — the seam between the page and whatever runs the model. The page asks an
// engine to segment some frames of the open study and receives label slices as they finish; it
// does not care where the network runs.
// - ServerEngine: the server's libtorch engine (POST /api/studies/:id/segment, NDJSON stream).
// - BrowserEngine: onnxruntime-web on the model's ONNX export, so the images never leave the
//   machine. It needs the export (issue 12) and the study read locally; until both exist it
//   reports why it is unavailable and the toggle stays disabled.
import { api, type SegmentEvent, type StudyInfo } from "./api.js";

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
  segment(study: StudyInfo, frames: number[], cb: SegmentCallbacks, signal: AbortSignal): Promise<{ seconds: number }>;
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

  async segment(study: StudyInfo, frames: number[], cb: SegmentCallbacks, signal: AbortSignal): Promise<{ seconds: number }> {
    const res = await api.segment(study.id, frames, signal);
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
  readonly label = "in this browser (ONNX)";
  constructor(readonly unavailable: string | null) {}

  async segment(): Promise<{ seconds: number }> {
    throw new Error(this.unavailable ?? "in-browser inference is not built yet");
  }
}
