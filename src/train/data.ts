// data.ts owns turning the `data` section of a config into what the trainer consumes: cases from a
// folder (ACDC / Sunnybrook / generic, via src/io) or generated phantoms (src/synth), a split by
// patient, the augmented TrainLoader, the validation stream (centre crops at the training size) and
// the class weights. Everything that can be wrong with the data is reported here, before training.
import { loadDataset, loadCase, patientGroups } from "../io/datasets/index.js";
import { generateCase } from "../synth/phantom.js";
import { slicesFromCases, patientsOf, type LabelledCase } from "../data/slices.js";
import { splitPatients, splitSlices, type SplitSpec } from "../data/split.js";
import { prepareTrainSlices } from "../data/store.js";
import { TrainLoader } from "../data/loader.js";
import { validationBatches } from "../data/validation.js";
import { classFrequencies, classWeights } from "../data/frequencies.js";
import { taskClassNames, UNANNOTATED } from "../data/tasks.js";
import type { Slice2D, TaskSpec } from "../data/types.js";
import type { Shard } from "../data/batch.js";
import type { ExperimentConfig } from "./config.js";
import type { ValidationSource } from "./validate.js";

export interface TrainingData {
  train: TrainLoader;
  validation: ValidationSource | null;
  classNames: readonly string[];
  classWeights: number[] | null;
  trainPatients: readonly string[];
  valPatients: readonly string[];
  trainSlices: number;
  valSlices: number;
}

export function taskOf(cfg: ExperimentConfig): TaskSpec {
  return { name: cfg.data.task, bandWidth: cfg.data.bandWidth, bandUnit: cfg.data.bandUnit };
}

function* syntheticCases(cfg: ExperimentConfig): Generator<LabelledCase> {
  for (let i = 0; i < cfg.data.syntheticPatients; i++) {
    // Small phantoms keep demos fast; resampling to data.spacing brings them to the training grid anyway.
    const c = generateCase(cfg.seed, i, 128);
    for (const f of c.frames) {
      yield {
        patient: c.id, caseId: `${c.id}_${f.phase}`, phase: f.phase, image: f.image, label: f.labels,
        imageFile: `<synthetic ${c.id} ${f.phase}>`, labelFile: `<synthetic ${c.id} ${f.phase} labels>`,
      };
    }
  }
}

/** The labelled cases of a folder; one that cannot be read is reported through `log` and skipped. */
function* folderCases(root: string, patients: ReadonlySet<string> | null, log: (l: string) => void): Generator<LabelledCase> {
  const ds = loadDataset(root);
  for (const p of ds.problems) log(`warning: skipped ${p.file}: ${p.message}`);
  for (const c of ds.cases) {
    if (patients && !patients.has(c.patient)) continue;
    let loaded;
    try {
      loaded = loadCase(c);
    } catch (err) {
      log(`warning: skipped case ${c.id}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const { image, labels } = loaded;
    if (!labels) continue;
    yield { patient: c.patient, caseId: c.id, phase: c.phase, image, label: labels, imageFile: c.imagePath, labelFile: c.labelPaths[0] ?? c.imagePath };
  }
}

/** The patients of the configured data and their groups (for stratified folds; none for in-memory phantoms). */
function listPatients(cfg: ExperimentConfig): { patients: string[]; groups: Map<string, string> } {
  if (cfg.data.source === "synthetic") {
    return { patients: Array.from({ length: cfg.data.syntheticPatients }, (_, i) => `patient${String(i + 1).padStart(3, "0")}`), groups: new Map() };
  }
  const ds = loadDataset(cfg.data.root);
  return { patients: [...new Set(ds.cases.map((c) => c.patient))], groups: patientGroups(ds) };
}

/** How the config splits patients; `groups` stratifies cross-validation folds. */
export function splitSpec(cfg: ExperimentConfig, groups?: ReadonlyMap<string, string>): SplitSpec {
  const d = cfg.data;
  if (d.folds > 0) return { folds: d.folds, fold: d.fold, seed: d.foldSeed, groups };
  if (d.trainPatients || d.valPatients) return { train: d.trainPatients || "rest", val: d.valPatients || "rest" };
  return { valFraction: d.valFraction > 0 ? d.valFraction : 0.2, seed: cfg.seed };
}

/** Evenly spaced subset of at most `max` slices (0 = all), so validation stays affordable. */
function subsample<T>(items: readonly T[], max: number): T[] {
  if (max <= 0 || items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]);
}

/**
 * The training loader and validation stream of `cfg`. With a `shard` (a distributed run), this
 * process's loader draws its share of every global batch and its validation covers every
 * worldSize-th slice (the trainer sums the ranks' confusion counts).
 */
export function buildTrainingData(cfg: ExperimentConfig, log: (l: string) => void = () => undefined, shard?: Shard): TrainingData {
  const d = cfg.data;
  if (d.source === "folder" && !d.root) throw new Error("no data folder: pass --data DIR or set data.root (or data.source=synthetic)");
  const where = d.source === "synthetic" ? "synthetic data" : d.root;
  const { patients, groups } = listPatients(cfg);
  const split = splitPatients(patients, splitSpec(cfg, groups));
  if (d.folds > 0) {
    const stratified = groups.size > 0 ? `stratified by group (${[...new Set(groups.values())].sort().join(", ")})` : "no groups to stratify by";
    log(`data: cross-validation fold ${d.fold} of ${d.folds} over ${patients.length} patients, ${stratified}, fold seed ${d.foldSeed}`
      + (d.trainPatients || d.valPatients ? "; data.trainPatients/valPatients not used" : ""));
  }
  const wanted = new Set([...split.train, ...split.val]);
  const cases = d.source === "synthetic" ? syntheticCases(cfg) : folderCases(d.root, wanted, log);
  const slices: Slice2D[] = slicesFromCases(cases, where, {
    onBadCase: (c, err) => log(`warning: skipped case ${c.caseId}: ${err instanceof Error ? err.message : String(err)}`),
  });
  const sides = splitSlices(slices, split);
  if (sides.train.length === 0) throw new Error(`${where}: no training slices for patients ${split.train.join(", ")}`);
  const task = taskOf(cfg);
  const partial = slices.find((s) => s.label.includes(UNANNOTATED));
  if (partial && cfg.loss.ignoreIndex !== UNANNOTATED) {
    throw new Error(`${partial.provenance.labelFile}: labels ${UNANNOTATED} mark voxels not annotated; training needs loss.ignoreIndex=${UNANNOTATED} to ignore them (it is ${cfg.loss.ignoreIndex})`);
  }
  const trainSlices = prepareTrainSlices(sides.train, task);
  const size = { width: d.cropSize, height: d.cropSize };
  const train = new TrainLoader(trainSlices, {
    batchSize: cfg.train.batchSize, size, targetSpacing: d.spacing, seed: cfg.seed, augment: d.augment, shard,
  }, { worker: true, prefetch: d.prefetch });
  const numClasses = cfg.model.numClasses;
  let weights: number[] | null = null;
  if (cfg.loss.classWeights !== "none") weights = classWeights(classFrequencies(trainSlices, numClasses), cfg.loss.classWeights);
  const valSlices = subsample(sides.val, cfg.train.valMaxSlices);
  const mySlices = shard ? valSlices.filter((_, i) => i % shard.worldSize === shard.rank) : valSlices;
  const validation: ValidationSource | null = split.val.length === 0 ? null : {
    batches: () => validationBatches(mySlices, { task, targetSpacing: d.spacing, size, batchSize: cfg.train.batchSize }),
  };
  if (!validation) log("data: data.valPatients is none: every patient trains, no validation (the run keeps its last weights)");
  log(`data: ${split.train.length} train patients (${trainSlices.length} slices), ${split.val.length} val patients (${valSlices.length} slices) from ${where}`);
  return {
    train, validation, classNames: taskClassNames(task), classWeights: weights,
    trainPatients: patientsOf(sides.train), valPatients: split.val, trainSlices: trainSlices.length, valSlices: valSlices.length,
  };
}
