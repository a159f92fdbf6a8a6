// src/infer/index.ts — the public face of inference (predict, evaluate, demo) for the CLI.
export { runPredict, parseFormats, PREDICT_FORMATS, type PredictFormat, type PredictOptions, type PredictSummary } from "./predict.js";
export { runEvaluate, type EvaluateOptions, type EvaluateResult, type EvaluationReport } from "./evaluate.js";
export { runDemo, defaultDemoOut, type DemoOptions, type DemoResult } from "./demo.js";
export { Predictor, resolveWeightsPath, readWeightsConfig, batchRanges, type PredictorOptions, type PredictionProgress, type OnPrediction } from "./predictor.js";
export { TorchEngine, type LogitsEngine } from "./engine.js";
export { ENGINES, loadPredictor, parseEngine, type EngineName } from "./engines.js";
export { keepLargestComponents, labelComponents, type Connectivity } from "./postprocess.js";
export { expandInput, type PredictItem, type CineMembership } from "./inputs.js";
export { StudyOutputs, SEG_PER, type SegPer, type StudyJson, type StudyResult } from "./study.js";
