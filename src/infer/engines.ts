// engines.ts owns the choice of inference engine behind `--engine`: "libtorch" (the default: the
// trained model on libtorch, BatchNorm folded) or "onnx" (the model exported to ONNX and run by
// onnxruntime-node; --model may then also be a .onnx file written by `cardioseg export`). Either way
// the same Predictor does the pre- and postprocessing, so outputs and files are the same.
// onnxruntime-node is loaded only when asked for.
import { Predictor, type PredictorOptions } from "./predictor.js";
import { parseChoice } from "../util/choice.js";

export const ENGINES = ["libtorch", "onnx"] as const;
export type EngineName = (typeof ENGINES)[number];

export function parseEngine(text: string): EngineName {
  return parseChoice("--engine", ENGINES, text);
}

/** A predictor for `model` (run folder, weights file, or with "onnx" also a .onnx file) on `engine`. */
export async function loadPredictor(model: string, engine: EngineName, o: PredictorOptions = {}): Promise<Predictor> {
  if (engine === "libtorch") return Predictor.load(model, o);
  if (o.device && o.device !== "cpu") throw new Error(`--engine onnx runs on the CPU (onnxruntime-node's CPU build), not ${o.device}`);
  if (o.precision && o.precision !== "float32") throw new Error(`--precision ${o.precision} is for --engine libtorch; ONNX runs float32`);
  if (o.convolutions) {
    throw new Error(`--convolutions ${o.convolutions} is for --engine libtorch; ONNX Runtime picks its own kernels`);
  }
  const { OnnxEngine } = await import("../onnx/runtime.js");
  const onnx = await OnnxEngine.load(model, { threads: o.threads });
  try {
    return new Predictor(onnx, onnx.config, onnx.source, o);
  } catch (err) {
    onnx.dispose();
    throw err;
  }
}
