// pipeline.ts owns the one-call setup the trainer uses: data set folder -> patient split ->
// validated slices -> training store (task labels, intensity stats) + class frequencies, a
// TrainLoader factory and the validation stream. Every input check runs here, before training.
import type { AugmentOptions, TrainSlice } from "./augment.js";
import { classFrequencies, type ClassFrequencies } from "./frequencies.js";
import { TrainLoader, type LoaderOptions } from "./loader.js";
import type { NormalizeOptions } from "./normalize.js";
import { listDatasetPatients, loadDatasetSlices } from "./sources.js";
import { splitPatients, splitSlices, type PatientSplit, type SplitSpec } from "./split.js";
import { packSlices, prepareTrainSlices, unpackSlices } from "./store.js";
import { taskNumClasses } from "./tasks.js";
import type { Slice2D, TaskSpec } from "./types.js";
import { validationBatches, type ValidationBatch } from "./validation.js";
import type { DatasetKind, DatasetProblem } from "../io/datasets/index.js";

export interface DataConfig {
  readonly root: string;
  readonly kind?: DatasetKind;
  readonly task: TaskSpec;
  readonly split: SplitSpec;
  /** Training size in pixels, e.g. 256x256. */
  readonly size: { readonly width: number; readonly height: number };
  readonly targetSpacing?: number;
  readonly keepEmpty?: boolean;
  readonly normalize?: NormalizeOptions;
  readonly augment?: AugmentOptions | false;
  readonly batchSize: number;
  readonly seed: number;
  /** Validation: slices per batch (default 1); whole = uncropped slices padded to multipleOf. */
  readonly validation?: { readonly batchSize?: number; readonly whole?: boolean; readonly multipleOf?: number };
}

export interface DataPipeline {
  readonly split: PatientSplit;
  /** Files and cases that could not be read: reported here and skipped (training goes on without them). */
  readonly problems: readonly DatasetProblem[];
  readonly numClasses: number;
  readonly trainSlices: readonly TrainSlice[];
  readonly valSlices: readonly Slice2D[];
  /** Over the training slices' task labels (original grids). */
  readonly frequencies: ClassFrequencies;
  createLoader(options?: LoaderOptions): TrainLoader;
  validation(): Generator<ValidationBatch>;
}

export function buildDataPipeline(cfg: DataConfig): DataPipeline {
  const split = splitPatients(listDatasetPatients(cfg.root, cfg.kind), cfg.split);
  const loaded = loadDatasetSlices(cfg.root, {
    kind: cfg.kind, keepEmpty: cfg.keepEmpty, patients: [...split.train, ...split.val], skipBadCases: true,
  });
  const { train, val } = splitSlices(loaded.slices, split);
  if (train.length === 0) throw new Error(`${cfg.root}: no training slices for patients ${split.train.join(", ")}`);
  if (val.length === 0) throw new Error(`${cfg.root}: no validation slices for patients ${split.val.join(", ")}`);
  // Packed once into shared memory: the loaders and the worker read it, the per-slice arrays go.
  const packed = packSlices(prepareTrainSlices(train, cfg.task, cfg.normalize));
  const trainSlices = unpackSlices(packed);
  const numClasses = taskNumClasses(cfg.task);
  const v = cfg.validation ?? {};
  return {
    split, problems: loaded.problems, numClasses, trainSlices, valSlices: val,
    frequencies: classFrequencies(trainSlices, numClasses),
    createLoader: (options) => new TrainLoader(packed, {
      batchSize: cfg.batchSize, size: cfg.size, targetSpacing: cfg.targetSpacing, seed: cfg.seed, augment: cfg.augment,
    }, options),
    validation: () => validationBatches(val, {
      task: cfg.task, batchSize: v.batchSize, targetSpacing: cfg.targetSpacing, ...cfg.normalize,
      ...(v.whole ? { multipleOf: v.multipleOf ?? 8 } : { size: cfg.size }),
    }),
  };
}
