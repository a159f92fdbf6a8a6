// registry.ts: the benchmarks `npm run bench` runs, in order. A new benchmark is a module in bench/
// exporting a Benchmark (see types.ts) plus, for the comparison, a builder of the same name in
// bench/pytorch_bench.py; append it here.
import type { Benchmark } from "./types.js";
import { conv3x3Benchmark } from "./conv.js";
import { resnetStageBenchmark } from "./resnet-stage.js";
import { addOverheadBenchmark } from "./overhead.js";
import { deeplabTrainBenchmark, deeplabInferBenchmark } from "./deeplab.js";
import {
  acdcVolumePredictBenchmark, acdcVolumePredictBf16Benchmark, acdcVolumePredictFreshModelBenchmark,
  acdcVolumePredictFreshModelLibtorchConvBenchmark, acdcVolumePredictLibtorchConvBenchmark,
} from "./predict.js";
import { ENGINE_BENCHMARKS } from "./onnx.js";
import { acdcTrainStepBenchmark, acdcTrainStepBf16Benchmark } from "./acdc-train.js";

export const BENCHMARKS: Benchmark[] = [
  conv3x3Benchmark, resnetStageBenchmark, addOverheadBenchmark, deeplabInferBenchmark, deeplabTrainBenchmark,
  acdcTrainStepBenchmark, acdcTrainStepBf16Benchmark, acdcVolumePredictBenchmark, acdcVolumePredictBf16Benchmark,
  acdcVolumePredictLibtorchConvBenchmark, acdcVolumePredictFreshModelBenchmark,
  acdcVolumePredictFreshModelLibtorchConvBenchmark, ...ENGINE_BENCHMARKS,
];
