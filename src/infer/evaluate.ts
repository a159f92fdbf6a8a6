// evaluate.ts owns `cardioseg evaluate`: predict every selected case of a data set (ACDC,
// Sunnybrook, generic or synthetic layout), score it with src/eval as it goes, and write the result
// where `cardioseg report` reads it.
//
// Output (OUT = --out, default the model's run folder, or runs/<model name> for the shipped model),
// the run-folder layout of src/report:
//   OUT/eval/scores.json            the score JSON of src/eval/score.ts, plus "evaluation":
//                                   {"model", "data", "patients", "selection", "tta", "lcc", "precision",
//                                    "convolutions", "structures"}
//                                   (structures scored: --structures, else the data set's annotated
//                                   ones — Sunnybrook: MYO and LV — else every class)
//   OUT/eval/cases/<id>_pred.png    prediction over the image, for the N best and N worst cases
//   OUT/eval/cases/<id>_gt.png      ground truth over the same slices
//   OUT/eval/labels/<id>.nii.gz     predicted label maps (with --save-labels), in the image's
//                                   geometry, so `cardioseg score --pred OUT/eval/labels` works
// Case ids are the image file names without .nii.gz for ACDC (patient001_frame01), as
// `cardioseg score` names them; other layouts use the data set's case id.
import { statSync } from "node:fs";
import { join } from "node:path";
import { loadCase, loadDataset, patientGroups, type Dataset, type DatasetCase } from "../io/datasets/index.js";
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { exportLabelNifti } from "../io/exports.js";
import { sliceOf } from "../io/slices.js";
import { applyTask } from "../data/tasks.js";
import { ScoreAccumulator, caseMeanDice, type CaseScores, type ScoreReport } from "../eval/score.js";
import { writeCaseOverlays } from "../report/overlays.js";
import { RUN_FILES } from "../report/run-folder.js";
import type { Predictor } from "./predictor.js";
import { loadPredictor, type EngineName } from "./engines.js";
import type { ConvolutionKernels, InferencePrecision } from "./engine.js";
import { modelName, resolveModelPath } from "../train/model-path.js";
import { taskOf } from "../train/data.js";
import { writeFileAtomic } from "../util/fs.js";
import { stemOf } from "./inputs.js";
import { runDirOf, selectEvaluationPatients, type PatientSelection } from "./selection.js";
import { seconds, slicesDone, StepProgress, type Log } from "./volume.js";
import { keepLargestComponents } from "./postprocess.js";

export interface EvaluateOptions {
  /** Run folder or weights file; absent = the shipped model (src/train/model-path.ts). */
  model?: string;
  data: string;
  /** Patient selector ("081-100", "patient003,patient007", …). */
  patients?: string;
  /** Folder the eval/ results go in; default the model's run folder. */
  out?: string;
  /** Also write the score JSON here. */
  json?: string;
  tta?: boolean;
  /** Keep only the largest 3D connected component of each structure (as `predict --lcc`). */
  lcc?: boolean;
  /** Best and worst cases drawn as overlays (each). Default 3, what the report shows. */
  overlays?: number;
  saveLabels?: boolean;
  /**
   * Structures to score (class names); the others count as background. Default: the data set's
   * annotated structures when it declares them (Sunnybrook: MYO and LV), else every class.
   */
  structures?: readonly string[];
  /** Slices per network call (default: automatic, see PredictorOptions). */
  batchSize?: number;
  log?: Log;
  predictor?: Predictor;
  /** Inference engine (default libtorch); "onnx" runs the model exported, on onnxruntime-node. */
  engine?: EngineName;
  /** libtorch only: float32 (default) or bfloat16 (faster on a CPU with AVX512-BF16/AMX). */
  precision?: InferencePrecision;
  /** libtorch float32 on CPU only: convolution kernels (default "winograd"; see TorchEngine). */
  convolutions?: ConvolutionKernels;
}

export interface EvaluationInfo {
  model: string;
  data: string;
  patients: string[];
  selection: PatientSelection["how"];
  tta: boolean;
  lcc: boolean;
  /** What the network computed in (libtorch's --precision; ONNX is float32). */
  precision: InferencePrecision;
  /** libtorch's convolution kernels in effect (--convolutions; "libtorch" where not packed); null for ONNX. */
  convolutions: ConvolutionKernels | null;
  /** The structures scored. */
  structures: string[];
}

export type EvaluationReport = ScoreReport & { evaluation: EvaluationInfo };

export interface EvaluateResult {
  report: EvaluationReport;
  outDir: string;
  scoresPath: string;
  overlays: string[];
}

interface Kept { order: number; dice: number; id: string; image: ImageVolume; pred: LabelVolume; truth: LabelVolume }

export async function runEvaluate(o: EvaluateOptions): Promise<EvaluateResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dataset = loadDataset(o.data);
  for (const p of dataset.problems) log(`warning: skipped ${p.file}: ${p.message}`);
  const model = o.predictor ? (o.model ?? o.predictor.weightsPath) : resolveModelPath(o.model);
  const predictor = o.predictor ?? await loadPredictor(model, o.engine ?? "libtorch", {
    flipTTA: o.tta, batchSize: o.batchSize, precision: o.precision, convolutions: o.convolutions,
  });
  try {
    const selection = selectEvaluationPatients(dataset.cases.map((c) => c.patient), predictor.config, o.data, o.patients, patientGroups(dataset));
    const wanted = new Set(selection.patients);
    const cases = dataset.cases.filter((c) => wanted.has(c.patient));
    log(`evaluating ${predictor.weightsPath} on ${cases.length} cases of ${selection.patients.length} patients (${describeSelection(selection)}) from ${o.data}`);
    const outDir = o.out ?? (o.model ? runDirOf(o.model, statSync(o.model).isDirectory()) : join("runs", modelName(model)));
    const structures = scoredStructures(o.structures, dataset, predictor.classNames, log);
    const { report, kept } = await scoreAll(predictor, dataset, cases, { ...o, structures }, outDir, log);
    const evaluation: EvaluationInfo = {
      model: predictor.weightsPath, data: o.data, patients: selection.patients, selection: selection.how, tta: o.tta === true, lcc: o.lcc === true,
      precision: predictor.precision, convolutions: predictor.convolutions, structures: report.classes.slice(1),
    };
    const full: EvaluationReport = { ...report, evaluation };
    const overlays = kept.flatMap((k) => Object.values(writeCaseOverlays(outDir, k.id, k.image, k.pred, k.truth)));
    const scoresPath = join(outDir, RUN_FILES.scores);
    const json = JSON.stringify(full, null, 1) + "\n";
    writeFileAtomic(scoresPath, json);
    if (o.json) writeFileAtomic(o.json, json);
    return { report: full, outDir, scoresPath, overlays };
  } finally {
    if (!o.predictor) predictor.dispose();
  }
}

/** --structures as given (checked by the scorer), else the data set's annotated ones when the model has them all. */
function scoredStructures(given: readonly string[] | undefined, dataset: Dataset, classNames: readonly string[], log: Log): readonly string[] | undefined {
  if (given && given.length > 0) return given;
  const declared = dataset.structures;
  if (!declared) return undefined;
  if (declared.every((s) => classNames.includes(s))) {
    log(`scoring ${declared.join(" and ")} only: the structures ${dataset.root} annotates (--structures to choose)`);
    return declared;
  }
  log(`warning: ${dataset.root} annotates ${declared.join(", ")}, which this model's classes (${classNames.join(", ")}) do not all have; scoring every class`);
  return undefined;
}

function describeSelection(s: PatientSelection): string {
  if (s.how === "validation") return "the run's validation patients";
  if (s.how === "given") return "--patients";
  return "all patients; pass --patients to choose";
}

async function scoreAll(predictor: Predictor, dataset: Dataset, cases: readonly DatasetCase[], o: EvaluateOptions, outDir: string,
  log: Log): Promise<{ report: ScoreReport; kept: Kept[] }> {
  const acc = new ScoreAccumulator(predictor.classNames, { structures: o.structures });
  const skipped: { id: string; reason: string }[] = [];
  const kept: Kept[] = [];
  const keepEach = Math.max(0, o.overlays ?? 3);
  const progress = new StepProgress(log);
  for (const [i, c] of cases.entries()) {
    const id = caseId(dataset, c);
    const tag = `[${i + 1}/${cases.length}] ${id}`;
    const started = performance.now();
    try {
      const { image, labels } = loadCase(c);
      if (!labels) throw new Error("no ground-truth labels");
      const raw = await predictor.predictVolumeAsync(image, (p) => progress.status(`${tag}: ${slicesDone(p)}`));
      const pred = o.lcc ? keepLargestComponents(raw).labels : raw;
      const truth = taskTruth(labels, predictor);
      const phase = c.phase === "ED" || c.phase === "ES" ? c.phase : null;
      const scores = acc.addCase({ id, phase, subject: c.patient, pred, truth });
      if (o.saveLabels) exportLabelNifti(join(outDir, "eval", "labels", `${id}.nii.gz`), pred);
      keepExtremes(kept, { order: i, dice: caseMeanDice(scores), id, image, pred, truth }, keepEach);
      progress.line(`${tag}: ${diceLine(scores)}  (${seconds(started)})`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      skipped.push({ id, reason });
      progress.line(`${tag}: skipped: ${reason}`);
    }
  }
  return { report: acc.result(skipped), kept };
}

/** ACDC cases are named by their image file, as `cardioseg score` names them. */
export function caseId(dataset: Dataset, c: DatasetCase): string {
  return dataset.kind === "acdc" ? stemOf(c.imagePath) : c.id;
}

/** The truth in the model's task: ACDC labels as they are, or the contour band made slice by slice. */
function taskTruth(labels: LabelVolume, predictor: Predictor): LabelVolume {
  const task = taskOf(predictor.config);
  if (task.name === "regions") return labels;
  const [nx, ny, nz = 1] = labels.dims;
  const data = new Uint8Array(labels.data.length);
  for (let k = 0; k < nz; k++) {
    data.set(applyTask(sliceOf(labels, k).slice(), nx, ny, [labels.spacing[0], labels.spacing[1]], task), k * nx * ny);
  }
  return { ...labels, data };
}

function diceLine(s: CaseScores): string {
  return Object.entries(s.dice).map(([name, d]) => `${name} ${d === null ? "n/a" : d.toFixed(3)}`).join("  ");
}

/**
 * Keeps the `n` best and `n` worst cases by mean Dice, ranked as the report ranks them (Dice
 * descending, ties in case order): an entry that falls between the two groups can never re-enter
 * either, so memory stays at 2n + 1 volumes.
 */
export function keepExtremes<T extends { order: number; dice: number }>(kept: T[], entry: T, n: number): void {
  if (n <= 0 || !Number.isFinite(entry.dice)) return;
  kept.push(entry);
  kept.sort((a, b) => b.dice - a.dice || a.order - b.order);
  if (kept.length > 2 * n) kept.splice(n, 1);
}
