// export.ts owns `cardioseg export`: a trained DeepLab (a run folder or a weights file) as an ONNX
// model. The graph comes from the module tree itself (each module's toOnnx, src/nn/onnx.ts), in
// eval mode: dropout is the identity and the auxiliary head is left out. Optionally every
// conv + BatchNorm pair is folded first (src/nn/fold.ts, the same folding inference uses). The
// file is written atomically, so a failed export never leaves a partial model.onnx behind.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { OnnxExportError, OnnxGraph, foldBatchNorm_ } from "../nn/index.js";
import { DeepLabV3, defaultModelConfig, validateModelConfig, type ModelConfig } from "../models/index.js";
import { readSafetensorsHeader } from "../tensor/safetensors.js";
import { readWeightsConfig, resolveWeightsPath } from "../infer/predictor.js";
import { loadWeightsInto, weightsModelConfig } from "../train/checkpoint.js";
import type { ExperimentConfig } from "../train/config.js";
import { writeFileAtomic } from "../util/fs.js";
import { parseJsonText } from "../io/json.js";
import { fileSha256 } from "../util/hash.js";
import { packageVersion } from "../util/project.js";
import { DEFAULT_OPSET, checkOpset, serializeModel, type Dim } from "./proto.js";
import { INPUT_NAME, OUTPUT_NAME, exportMetadata } from "./metadata.js";

export interface OnnxShapeOptions {
  opset?: number;
  /** Batch, height and width as symbolic dimensions ("batch", "height", "width"). */
  dynamic?: boolean;
  /** The fixed input size when not dynamic (default: batch 1, the training crop size). */
  batch?: number;
  height?: number;
  width?: number;
}

export interface ModelToOnnxOptions extends OnnxShapeOptions {
  metadata?: Readonly<Record<string, string>>;
  docString?: string;
}

/** Input and output shapes of the exported graph. */
export function ioShapes(config: ModelConfig, o: { dynamic: boolean; batch: number; height: number; width: number }): { input: Dim[]; output: Dim[] } {
  const [n, h, w]: Dim[] = o.dynamic ? ["batch", "height", "width"] : [o.batch, o.height, o.width];
  return { input: [n, config.inChannels, h, w], output: [n, config.numClasses, h, w] };
}

/**
 * The ONNX bytes of `model`'s inference graph (the model is switched to eval mode). Input "image"
 * [N, inChannels, H, W], output "logits" [N, numClasses, H, W], both float32.
 */
export function modelToOnnx(model: DeepLabV3, o: ModelToOnnxOptions = {}): Uint8Array {
  const opset = o.opset ?? DEFAULT_OPSET;
  checkOpset(opset);
  const dynamic = o.dynamic ?? false;
  const size = { batch: o.batch ?? 1, height: o.height ?? 64, width: o.width ?? o.height ?? 64 };
  for (const [name, v] of Object.entries(size)) {
    if (!dynamic && !(Number.isInteger(v) && v > 0)) throw new Error(`input ${name} must be a positive integer, got ${v}`);
  }
  model.eval();
  const graph = new OnnxGraph(model);
  graph.output(model.toOnnx(graph, INPUT_NAME), OUTPUT_NAME);
  const shapes = ioShapes(model.config, { dynamic, ...size });
  return serializeModel({
    graph, graphName: `cardioseg_${model.config.arch}_resnet${model.config.backbone}`,
    inputs: [{ name: INPUT_NAME, shape: shapes.input }], outputs: [{ name: OUTPUT_NAME, shape: shapes.output }],
    opset, producerVersion: packageVersion(), docString: o.docString ?? "", metadata: o.metadata ?? {},
  });
}

export interface ExportOptions extends OnnxShapeOptions {
  /** A run folder (best, else last weights) or a .safetensors checkpoint written by cardioseg. */
  model: string;
  out: string;
  /** Fold every conv + BatchNorm pair into the conv before export. */
  foldBatchNorm?: boolean;
}

export interface ExportSummary {
  out: string;
  bytes: number;
  weights: string;
  opset: number;
  dynamic: boolean;
  foldedPairs: number;
  input: Dim[];
  output: Dim[];
}

export interface BuiltOnnx extends Omit<ExportSummary, "out" | "bytes"> {
  model: Uint8Array;
  config: ExperimentConfig;
}

/** The ONNX bytes of a trained model (run folder or weights file), in memory. */
export function buildOnnx(modelPath: string, o: Omit<ExportOptions, "model" | "out"> = {}): BuiltOnnx {
  const opset = o.opset ?? DEFAULT_OPSET;
  checkOpset(opset);
  const weights = resolveWeightsPath(modelPath);
  checkExportable(weights);
  const config = readWeightsConfig(weights);
  const model = new DeepLabV3(config.model);
  try {
    loadWeightsInto(model, weights);
    const dynamic = o.dynamic ?? false;
    const crop = config.data.cropSize;
    const size = { batch: o.batch ?? 1, height: o.height ?? crop, width: o.width ?? o.height ?? crop };
    const foldedPairs = o.foldBatchNorm ? foldBatchNorm_(model.eval()) : 0;
    const metadata = exportMetadata(config, {
      cardiosegVersion: packageVersion(), weights: basename(weights), weightsSha256: fileSha256(weights), iteration: weightsIteration(weights),
      foldBatchNorm: o.foldBatchNorm ?? false, opset, dynamic,
    });
    try {
      const bytes = modelToOnnx(model, { opset, dynamic, ...size, metadata, docString: docString(config) });
      return { model: bytes, config, weights, opset, dynamic, foldedPairs, ...ioShapes(config.model, { dynamic, ...size }) };
    } catch (err) {
      if (err instanceof OnnxExportError) throw new Error(`${weights}: cannot export this model: ${err.message}`);
      throw err;
    }
  } finally {
    model.dispose();
  }
}

/** Export a trained model to `o.out` (atomically); throws a message naming the file and the problem. */
export function exportOnnx(o: ExportOptions): ExportSummary {
  checkOpset(o.opset ?? DEFAULT_OPSET);
  checkWritable(o.out);
  const { model, weights, opset, dynamic, foldedPairs, input, output } = buildOnnx(o.model, o);
  try {
    writeFileAtomic(o.out, model);
  } catch (err) {
    throw new Error(`${o.out}: cannot write the ONNX file (${(err as Error).message})`);
  }
  return { out: o.out, bytes: model.byteLength, weights, opset, dynamic, foldedPairs, input, output };
}

function docString(c: ExperimentConfig): string {
  const m = c.model;
  return `cardioseg ${m.arch} ResNet-${m.backbone} (output stride ${m.outputStride}, ${m.norm} norm), ` +
    `${m.numClasses} classes, trained as "${c.name}" at ${c.data.spacing} mm. See the cardioseg.* metadata for pre/postprocessing.`;
}

function weightsIteration(weights: string): number | null {
  const iter = Number(readSafetensorsHeader(weights).metadata.iter);
  return Number.isInteger(iter) ? iter : null;
}

/**
 * Refuse, naming the field, a checkpoint whose config this exporter cannot express: an architecture
 * field it does not know (a checkpoint from another cardioseg version) or a value out of range.
 */
export function checkExportable(weights: string): void {
  const { metadata } = readSafetensorsHeader(weights);
  const model = weightsModelConfig(weights, metadata);
  const known = new Set(Object.keys(defaultModelConfig));
  const unknown = Object.keys(model).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(`${weights}: cannot export model.${unknown[0]}: ` +
      `this exporter (cardioseg ${packageVersion()}) does not know that field`);
  }
  try {
    validateModelConfig({ ...defaultModelConfig, ...model });
  } catch (err) {
    throw new Error(`${weights}: cannot export: ${(err as Error).message}`);
  }
  if (!metadata.config) throw new Error(`${weights}: the checkpoint lacks its experiment config`);
  const stored = parseJsonText(metadata.config, `${weights} (metadata "config")`) as Partial<ExperimentConfig> | null;
  const data = stored?.data;
  if (!data || (data.task !== "regions" && data.task !== "contour")) {
    throw new Error(`${weights}: cannot export data.task ${JSON.stringify(data?.task ?? null)}: ` +
      "the class names of the output are unknown");
  }
  if (!(typeof data.spacing === "number" && data.spacing > 0)) {
    throw new Error(`${weights}: cannot export data.spacing ${JSON.stringify(data.spacing ?? null)}: ` +
      "the input spacing must be a positive number");
  }
}

/** Fail before the (slow) export when `out` cannot be a file: a folder, or a folder we cannot create or write. */
function checkWritable(out: string): void {
  const path = resolve(out);
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`${out}: is a folder; give the path of the .onnx file to write`);
  let dir = dirname(path);
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new Error(`${out}: cannot write there (${dir} is a file, not a folder)`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`${out}: cannot write there (no write permission in ${dir})`);
  }
}
