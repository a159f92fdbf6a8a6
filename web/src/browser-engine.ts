// web/src/browser-engine.ts — the model run in this browser by onnxruntime-web (WebAssembly,
// multi-threaded when the page is cross-origin isolated): three ONNX sessions from the model folder
// (model/manifest.json, src/onnx/browser-model.ts): the preprocessing graph (resampling to the
// model's spacing, per-slice percentile clip and z-score, padding), the network, and the
// postprocessing graph (softmax, padding removed, scores resampled back, argmax). They are the
// volume predictor's steps (src/infer/predictor.ts) as ONNX graphs (src/onnx/pipeline.ts), run
// batch by batch by src/onnx/pipeline-run.ts (the code the Node tests run too); no pixel is touched
// by JavaScript here. onnxruntime-web is loaded (a separate chunk) on first use, its WebAssembly
// from ort/ beside the page.
import type { InferenceSession } from "onnxruntime-web";
import type { ImageVolume } from "../../src/io/image.js";
import type { BrowserModelManifest } from "../../src/onnx/browser-model.js";
import { segmentFrameOnnx, type PipelineSessions } from "../../src/onnx/pipeline-run.js";

export type { BrowserModelManifest };

type Ort = typeof import("onnxruntime-web");

let runtime: Promise<Ort> | undefined;

/** onnxruntime-web, set up once: WebAssembly from ort/, threads when SharedArrayBuffer is allowed. */
function loadRuntime(): Promise<Ort> {
  runtime ??= import("onnxruntime-web/wasm").then((ort) => {
    const base = document.baseURI;
    ort.env.wasm.wasmPaths = {
      mjs: new URL("ort/ort-wasm-simd-threaded.mjs", base).href,
      wasm: new URL("ort/ort-wasm-simd-threaded.wasm", base).href,
    };
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1)) : 1;
    return ort;
  });
  return runtime;
}

async function fetchBytes(url: URL, what: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) {
    let reason = `${res.status} ${res.statusText}`;
    try {
      reason = ((await res.json()) as { error?: string }).error ?? reason;
    } catch { /* not JSON */ }
    throw new Error(`cannot load ${what}: ${reason}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** The manifest of the model folder at `base` (…/model/). */
export async function fetchManifest(base: URL): Promise<BrowserModelManifest> {
  const bytes = await fetchBytes(new URL("manifest.json", base), "the model's manifest");
  const m = JSON.parse(new TextDecoder().decode(bytes)) as BrowserModelManifest;
  if (m.format !== "cardioseg-browser-model-1") throw new Error(`model/manifest.json: unknown format ${JSON.stringify(m.format)}`);
  return m;
}

export class BrowserModel {
  private constructor(readonly ort: Ort, readonly manifest: BrowserModelManifest, private readonly sessions: PipelineSessions) {}

  /** Threads onnxruntime-web runs with (1 unless the page is cross-origin isolated). */
  get threads(): number {
    return this.ort.env.wasm.numThreads ?? 1;
  }

  /** Loads the three graphs of the model folder at `base`; `onStatus` follows the steps. */
  static async load(base: URL, onStatus: (text: string) => void = () => undefined): Promise<BrowserModel> {
    onStatus("Loading the model for in-browser inference…");
    const manifest = await fetchManifest(base);
    const [ort, network, pre, post] = await Promise.all([
      loadRuntime(),
      fetchBytes(new URL(manifest.files.network, base), "the model's network"),
      fetchBytes(new URL(manifest.files.preprocess, base), "the preprocessing graph"),
      fetchBytes(new URL(manifest.files.postprocess, base), "the postprocessing graph"),
    ]);
    onStatus(`Starting ONNX Runtime (${(network.byteLength / 2 ** 20).toFixed(1)} MB network)…`);
    const options: InferenceSession.SessionOptions = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
    const sessions = await Promise.all([pre, network, post].map((bytes) => ort.InferenceSession.create(bytes, options)));
    return new BrowserModel(ort, manifest, { pre: sessions[0], net: sessions[1], post: sessions[2] });
  }

  /**
   * Labels of every slice of one 3D frame, on its own grid (file voxel order). `onBatch(from, to,
   * labels)` receives each batch's slices [from, to) as they finish; `signal` stops between batches.
   */
  segmentFrame(volume: ImageVolume, onBatch: (from: number, to: number, labels: Uint8Array) => void, signal?: AbortSignal): Promise<Uint8Array> {
    return segmentFrameOnnx(this.ort.Tensor, this.sessions, this.manifest.spacingMm, volume, { onBatch, signal });
  }

  async release(): Promise<void> {
    await Promise.all([this.sessions.pre.release(), this.sessions.net.release(), this.sessions.post.release()]);
  }
}
