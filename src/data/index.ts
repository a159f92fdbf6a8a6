// index.ts — the public API of src/data (what the trainer, predictor and CLI import).
export type { Slice2D, SliceProvenance, Batch, CropBatch, IntensityDraw, TaskSpec, TaskName } from "./types.js";
export { sliceId, isCropBatch } from "./types.js";
export { slicesFromCase, slicesFromCases, patientsOf, type LabelledCase, type ExtractOptions } from "./slices.js";
export { loadDatasetSlices, listDatasetPatients, type DatasetSliceOptions, type DatasetSlices } from "./sources.js";
export { splitPatients, splitSlices, selectPatients, type SplitSpec, type PatientSplit, type PatientSelector } from "./split.js";
export { resampleBilinear, resampleNearest, resampledSize } from "./resample.js";
export { intensityStats, normalize, normalizeValue, percentileSorted, type IntensityStats, type NormalizeOptions } from "./normalize.js";
export {
  preprocessSlice, restoreSlice, restoreScores, argmaxChannels, sliceGeometry, DEFAULT_TARGET_SPACING,
  type PreprocessOptions, type PreprocessedSlice, type SliceGeometry, type SliceInput,
} from "./preprocess.js";
export {
  applyTask, taskNumClasses, taskClassNames, ACDC_CLASS_NAMES, CONTOUR_CLASS_NAMES, DEFAULT_BAND_WIDTH_MM,
  LABEL_RV, LABEL_MYO, LABEL_LV,
} from "./tasks.js";
export {
  DEFAULT_AUGMENT, IDENTITY_DRAW, canvasSize, drawSample, resolveAugment, sampleGeometry, validateAugment,
  type AugmentConfig, type AugmentOptions, type CanvasSize, type RenderTarget, type SampleDraw, type SampleGeometry, type TrainSlice,
} from "./augment.js";
export { prepareTrainSlices, packSlices, unpackSlices, type PackedSlices } from "./store.js";
export {
  gatherBatch, placeSamples, planBatches, sampleSeed, epochOrder, EpochOrders, type BatchPlan, type LoaderConfig, type Cursor, type PlacedSample,
} from "./batch.js";
export { TrainLoader, type LoaderState, type LoaderOptions } from "./loader.js";
export { validationBatches, validationBatchCount, type ValidationBatch, type ValidationOptions } from "./validation.js";
export { classFrequencies, classWeights, type ClassFrequencies, type ClassWeighting } from "./frequencies.js";
export { buildDataPipeline, type DataConfig, type DataPipeline } from "./pipeline.js";
