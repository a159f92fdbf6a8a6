// runtime.ts owns ONNX Runtime as cardioseg's second inference engine: an exported model (a .onnx
// file written by `cardioseg export`, or a run folder / weights file exported in memory) run by
// onnxruntime-node on the CPU. OnnxEngine gives logits for a [B, 1, H, W] float32 batch, either as
// typed arrays or as tensors (the LogitsEngine shape of the volume predictor in src/infer: device,
// numClasses, logits(x), dispose()). onnxruntime-node is loaded only when an engine is made.
import { readFileSync, statSync } from "node:fs";
import type { InferenceSession } from "onnxruntime-node";
import { fromTypedArray, type DeviceLike, type Tensor } from "../tensor/index.js";
import type { ExperimentConfig } from "../train/config.js";
import type { LogitsEngine } from "../infer/engine.js";
import { buildOnnx } from "./export.js";
import { INPUT_NAME, OUTPUT_NAME, readExportMetadata, type ClassEntry } from "./metadata.js";
import { modelMetadata, parseModel } from "./proto.js";

export interface OnnxEngineOptions {
  /** Intra-op threads (0 or absent = ONNX Runtime's default, one per physical core). */
  threads?: number;
  /** ONNX Runtime graph optimisations (default "all": constant folding, fusions, layout). */
  graphOptimization?: "disabled" | "basic" | "extended" | "all";
}

export class OnnxEngine implements LogitsEngine {
  readonly device: DeviceLike = "cpu";
  readonly numClasses: number;
  readonly classes: readonly ClassEntry[];
  /** The training config recorded in the model (spacing, task, architecture…). */
  readonly config: ExperimentConfig;

  private constructor(
    private readonly session: InferenceSession, config: ExperimentConfig, classes: ClassEntry[], readonly source: string,
  ) {
    this.config = config;
    this.classes = classes;
    this.numClasses = config.model.numClasses;
  }

  /** Load an ONNX model from bytes; its cardioseg metadata supplies the classes and the config. */
  static async fromBytes(bytes: Uint8Array, source: string, o: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const info = readExportMetadata(modelMetadata(parseModel(bytes, source)), source);
    const ort = await import("onnxruntime-node");
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ["cpu"],
        graphOptimizationLevel: o.graphOptimization ?? "all",
        ...(o.threads && o.threads > 0 ? { intraOpNumThreads: o.threads } : {}),
      });
    } catch (err) {
      throw new Error(`${source}: ONNX Runtime cannot load the model (${(err as Error).message})`);
    }
    if (!session.inputNames.includes(INPUT_NAME) || !session.outputNames.includes(OUTPUT_NAME)) {
      throw new Error(`${source}: expected input "${INPUT_NAME}" and output "${OUTPUT_NAME}", ` +
        `the model has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]`);
    }
    return new OnnxEngine(session, info.config, info.classes, source);
  }

  /** An exported .onnx file, or a run folder / .safetensors checkpoint exported in memory (BN folded, dynamic shapes). */
  static async load(path: string, o: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    if (path.endsWith(".onnx") && statSync(path, { throwIfNoEntry: false })?.isFile()) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path);
      } catch (err) {
        throw new Error(`${path}: cannot read (${(err as Error).message})`);
      }
      return OnnxEngine.fromBytes(bytes, path, o);
    }
    const built = buildOnnx(path, { dynamic: true, foldBatchNorm: true });
    return OnnxEngine.fromBytes(built.model, built.weights, o);
  }

  /** Logits [B, numClasses, H, W] (row-major) for `images` [B, 1, H, W]. */
  async logitsArray(images: Float32Array, batch: number, height: number, width: number): Promise<Float32Array> {
    const channels = this.config.model.inChannels;
    if (images.length !== batch * channels * height * width) {
      throw new Error(`OnnxEngine: ${images.length} values for a ${batch}x${channels}x${height}x${width} input`);
    }
    const ort = await import("onnxruntime-node");
    const input = new ort.Tensor("float32", images, [batch, channels, height, width]);
    const result = await this.session.run({ [INPUT_NAME]: input });
    const out = result[OUTPUT_NAME];
    try {
      if (out.type !== "float32") throw new Error(`OnnxEngine: ${this.source} gave ${out.type} logits, expected float32`);
      return out.data as Float32Array;
    } finally {
      input.dispose();
    }
  }

  /** The LogitsEngine seam: a CPU float32 tensor [B, 1, H, W] in, a new logits tensor out (the caller owns both). */
  async logits(x: Tensor): Promise<Tensor> {
    const [b, , h, w] = x.shape;
    const data = await this.logitsArray(x.toFloat32Array(), b, h, w);
    return fromTypedArray(data, [b, this.numClasses, h, w], { share: true });
  }

  /** Releases the ONNX Runtime session (asynchronously; the engine is unusable afterwards). */
  dispose(): void {
    void this.session.release();
  }
}
