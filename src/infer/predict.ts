// predict.ts owns `cardioseg predict`: every input volume through the model, the label map kept in
// the input's own grid and geometry (the Predictor maps its scores back to the input pixels), then
// written in the requested formats. A failing input is reported and skipped; the rest still run.
//
// Output layout (one folder per predicted volume; <name> is the input file name without its
// extension, or the DICOM folder's name, plus _tNN for a 4D NIfTI frame, _series<N>[_stack<S>]
// [_phase<PP>] when a DICOM folder holds several volumes, and _2, _3… when two inputs share a name):
//
//   OUT/<name>/<name>_pred.nii.gz          label map, uint8, input dims and affine   (format nifti)
//   OUT/<name>/<name>_pred.png             class numbers 0..3 as 8-bit grey, one per slice;
//                                          <name>_pred_sliceKK.png for stacks          (format png)
//   OUT/<name>/overlay.png                 the prediction over the image, all slices   (format png)
//   OUT/<name>/contours/<name>-KKKK-icontour-manual.txt / -ocontour-manual.txt
//                                          LV endocardium / epicardium per slice, Sunnybrook
//                                          "x y" pixel coordinates            (format contours)
//   OUT/<name>/seg.dcm                     DICOM SEG referencing the source images (format seg,
//                                          DICOM inputs only, --seg-per phase; by default one
//                                          SEG per study instead, see study.ts)
//   OUT/<study>/study.json, seg.dcm        per cine (DICOM series or 4D NIfTI): study.ts
//   OUT/predict-summary.json               {"model", "tta", "lcc", "precision", "convolutions", "formats", "seg_per", "outputs":
//                                          [{"input", "name", "dims", "files", "seconds",
//                                          "lcc_removed"?}], "studies": [{"study", "input", "files",
//                                          "summary"?}], "failures": [{"input", "message"}]}
import { join } from "node:path";
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { exportContours, exportLabelNifti, exportOverlay, exportPngMasks } from "../io/exports.js";
import { writeDicomSeg } from "../io/dicom/index.js";
import type { Predictor, OnPrediction } from "./predictor.js";
import { loadPredictor, type EngineName } from "./engines.js";
import type { ConvolutionKernels, InferencePrecision } from "./engine.js";
import { resolveModelPath } from "../train/model-path.js";
import { writeFileAtomic } from "../util/fs.js";
import { expandInput, uniqueNames, type PredictItem } from "./inputs.js";
import { keepLargestComponents } from "./postprocess.js";
import { StudyOutputs, type SegPer, type StudyResult } from "./study.js";
import { slicesDone, StepProgress, type Log } from "./volume.js";
import { pushAll } from "../util/array.js";

export const PREDICT_FORMATS = ["nifti", "png", "contours", "seg"] as const;
export type PredictFormat = (typeof PREDICT_FORMATS)[number];

export interface PredictOptions {
  /** Run folder or weights file; absent = the shipped model (src/train/model-path.ts). */
  model?: string;
  inputs: readonly string[];
  out: string;
  formats?: readonly PredictFormat[];
  tta?: boolean;
  /** Largest connected component per structure (3D). */
  lcc?: boolean;
  pngSpacing?: number;
  /** Slices per network call (default: automatic, see PredictorOptions). */
  batchSize?: number;
  log?: Log;
  /** An already loaded model (demo, tests); `model` is then only recorded. */
  predictor?: Predictor;
  /** One DICOM SEG per study (all phases of a cine, the default) or one per predicted volume. */
  segPer?: SegPer;
  /** ED / ES frame of every cine (0-based), overriding Info.cfg and the LV volume rule. */
  ed?: number;
  es?: number;
  /** Inference engine (default libtorch); "onnx" runs the model exported, on onnxruntime-node. */
  engine?: EngineName;
  /** libtorch only: float32 (default) or bfloat16 (faster on a CPU with AVX512-BF16/AMX). */
  precision?: InferencePrecision;
  /** libtorch float32 on CPU only: convolution kernels (default "winograd"; see TorchEngine). */
  convolutions?: ConvolutionKernels;
}

export interface PredictOutput {
  input: string;
  name: string;
  dims: number[];
  files: string[];
  seconds: number;
  lcc_removed?: Record<string, number>;
}

export interface PredictSummary {
  model: string;
  tta: boolean;
  lcc: boolean;
  /** What the network computed in (libtorch's --precision; ONNX is float32). */
  precision: InferencePrecision;
  /** libtorch's convolution kernels in effect (--convolutions; "libtorch" where not packed); null for ONNX. */
  convolutions: ConvolutionKernels | null;
  formats: PredictFormat[];
  seg_per: SegPer;
  outputs: PredictOutput[];
  studies: StudyResult[];
  failures: { input: string; message: string }[];
}

export function parseFormats(text: string): PredictFormat[] {
  const list = text.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  for (const f of list) {
    if (!(PREDICT_FORMATS as readonly string[]).includes(f)) throw new Error(`--format: unknown format "${f}" (known: ${PREDICT_FORMATS.join(", ")})`);
  }
  if (list.length === 0) throw new Error("--format: no format given");
  return [...new Set(list)] as PredictFormat[];
}

/** --batch-size: a positive integer, or "auto" (undefined). */
export function parseBatchSize(text: string): number | undefined {
  if (text === "auto") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--batch-size must be a positive integer or auto, got "${text}"`);
  return n;
}

export async function runPredict(o: PredictOptions): Promise<PredictSummary> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const formats = [...(o.formats ?? ["nifti", "png"])];
  if (o.inputs.length === 0) throw new Error("predict: no INPUT given");
  const model = o.predictor ? (o.model ?? o.predictor.weightsPath) : resolveModelPath(o.model);
  const predictor = o.predictor ?? await loadPredictor(model, o.engine ?? "libtorch", {
    flipTTA: o.tta, batchSize: o.batchSize, precision: o.precision, convolutions: o.convolutions,
  });
  const segPer = o.segPer ?? "study";
  const summary: PredictSummary = {
    model, tta: o.tta === true, lcc: o.lcc === true, precision: predictor.precision,
    convolutions: predictor.convolutions, formats, seg_per: segPer, outputs: [], studies: [], failures: [],
  };
  try {
    const items = uniqueNames(o.inputs.flatMap((input) => {
      try {
        return expandInput(input, {
          pngSpacing: o.pngSpacing, onWarning: (m) => log(`warning: ${m}`),
          onFileError: (file, message) => {
            summary.failures.push({ input: file, message });
            log(`skipped ${file}: ${message}`);
          },
        });
      } catch (err) {
        summary.failures.push({ input, message: messageOf(err) });
        log(`skipped ${input}: ${messageOf(err)}`);
        return [];
      }
    }));
    formatNotes(items, formats, predictor.classNames, log);
    const progress = new StepProgress(log);
    const studies = new StudyOutputs(items, {
      out: o.out, classNames: predictor.classNames, seg: formats.includes("seg") ? segPer : false, ed: o.ed, es: o.es,
      log: (l) => progress.line(l),
    });
    for (const [i, item] of items.entries()) {
      const tag = `[${i + 1}/${items.length}] ${item.name}`;
      try {
        const { out, image, labels } = await predictItem(predictor, item, o, formats, (p) => progress.status(`${tag}: ${slicesDone(p)}`));
        summary.outputs.push(out);
        progress.line(`${tag}: ${out.dims.join("x")}, ${out.seconds.toFixed(1)} s -> ${join(o.out, item.name)}`);
        studyStep(() => studies.add(item, image, labels), item, summary, progress);
      } catch (err) {
        summary.failures.push({ input: item.input, message: `${item.name}: ${messageOf(err)}` });
        progress.line(`${tag}: FAILED, skipped: ${messageOf(err)}`);
        studyStep(() => studies.failed(item), item, summary, progress);
      }
    }
    pushAll(summary.studies, studies.results);
    pushAll(summary.failures, studies.failures);
  } finally {
    if (!o.predictor) predictor.dispose();
  }
  writeFileAtomic(join(o.out, "predict-summary.json"), JSON.stringify(summary, null, 1) + "\n");
  return summary;
}

/** A study output failing (e.g. its SEG cannot be written) is reported; the frames stay predicted. */
function studyStep(step: () => string[], item: PredictItem, summary: PredictSummary, progress: StepProgress): void {
  try {
    step();
  } catch (err) {
    summary.failures.push({ input: item.input, message: `study of ${item.name}: ${messageOf(err)}` });
    progress.line(`study of ${item.name}: FAILED: ${messageOf(err)}`);
  }
}

async function predictItem(predictor: Predictor, item: PredictItem, o: PredictOptions, formats: readonly PredictFormat[],
  onProgress: OnPrediction): Promise<{ out: PredictOutput; image: ImageVolume; labels: LabelVolume }> {
  const started = performance.now();
  const image = item.load();
  let labels = await predictor.predictVolumeAsync(image, onProgress);
  let removed: Record<string, number> | undefined;
  if (o.lcc) {
    const r = keepLargestComponents(labels);
    labels = r.labels;
    removed = Object.fromEntries(Object.entries(r.removed).map(([c, n]) => [predictor.classNames[Number(c)] ?? c, n]));
  }
  const perItemSeg = (o.segPer ?? "study") === "phase";
  const files = writeOutputs(join(o.out, item.name), item, image, labels, perItemSeg ? formats : formats.filter((f) => f !== "seg"), predictor.classNames);
  const out: PredictOutput = { input: item.input, name: item.name, dims: labels.dims.slice(), files, seconds: (performance.now() - started) / 1000 };
  if (removed) out.lcc_removed = removed;
  return { out, image, labels };
}

function writeOutputs(dir: string, item: PredictItem, image: ImageVolume, labels: LabelVolume,
  formats: readonly PredictFormat[], classNames: readonly string[]): string[] {
  const files: string[] = [];
  const regions = classNames.length === 4;
  for (const f of formats) {
    if (f === "nifti") files.push(exportLabelNifti(join(dir, `${item.name}_pred.nii.gz`), labels));
    if (f === "png") pushAll(files, [...exportPngMasks(dir, `${item.name}_pred`, labels), exportOverlay(join(dir, "overlay.png"), image, labels)]);
    // Contours are LV endocardium and epicardium, which only the regions task's labels describe.
    if (f === "contours" && regions) pushAll(files, exportContours(join(dir, "contours"), item.name, labels));
    if (f === "seg" && item.kind === "dicom") {
      const path = join(dir, "seg.dcm");
      writeDicomSeg(path, labels, item.segSource, classNames);
      files.push(path);
    }
  }
  return files;
}

function formatNotes(items: readonly PredictItem[], formats: readonly PredictFormat[], classNames: readonly string[], log: Log): void {
  if (formats.includes("contours") && classNames.length !== 4) log("note: contours need a regions model (RV, MYO, LV); none written");
  if (formats.includes("seg") && items.some((it) => it.kind !== "dicom")) log("note: DICOM SEG is written for DICOM inputs only");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
