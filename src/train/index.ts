// Public surface of src/train (what the CLI commands, the demo and the inference code use).
export { runTraining, resolveRunConfig, type RunOptions } from "./run.js";
export { Trainer, NonFiniteLossError, type BatchSource, type TrainerOptions, type TrainResult, type StopReason } from "./trainer.js";
export {
  loadConfigFile, applyOverrides, resolveConfig, parseOverride, defaultExperimentConfig,
  type ExperimentConfig, type DataConfig, type OptimConfig, type TrainLoopConfig,
} from "./config.js";
export { buildTrainingData, taskOf, type TrainingData } from "./data.js";
export { segmentationLoss, crossEntropyLoss, softDiceLoss, focalLoss, defaultLossConfig, type LossConfig, type LossName } from "./losses.js";
export { lrFactor, defaultScheduleConfig, type ScheduleConfig, type ScheduleKind } from "./schedule.js";
export { validate, predictBatch, foregroundMeanDice, type ValidationSource } from "./validate.js";
export { readSidecar, resolveResumePath, CHECKPOINT_FORMAT, type CheckpointSidecar } from "./checkpoint.js";
