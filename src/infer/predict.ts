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
//   OUT/<name>/seg.dcm                     DICOM SEG referencing the source images
//                                          (format seg, DICOM inputs only)
//   OUT/predict-summary.json               {"model", "tta", "lcc", "formats", "outputs": [{"input",
//                                          "name", "dims", "files", "seconds", "lcc_removed"?}],
//                                          "failures": [{"input", "message"}]}
import { join } from "node:path";
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { exportContours, exportLabelNifti, exportOverlay, exportPngMasks } from "../io/exports.js";
import { writeDicomSeg } from "../io/dicom/index.js";
import { Predictor } from "../train/predictor.js";
import { writeFileAtomic } from "../util/fs.js";
import { expandInput, uniqueNames, type PredictItem } from "./inputs.js";
import { keepLargestComponents } from "./postprocess.js";
import { predictVolume, StepProgress, type Log } from "./volume.js";
import { pushAll } from "../util/array.js";

export const PREDICT_FORMATS = ["nifti", "png", "contours", "seg"] as const;
export type PredictFormat = (typeof PREDICT_FORMATS)[number];

export interface PredictOptions {
  /** Run folder or weights file. */
  model: string;
  inputs: readonly string[];
  out: string;
  formats?: readonly PredictFormat[];
  tta?: boolean;
  /** Largest connected component per structure (3D). */
  lcc?: boolean;
  pngSpacing?: number;
  log?: Log;
  /** An already loaded model (demo, tests); `model` is then only recorded. */
  predictor?: Predictor;
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
  formats: PredictFormat[];
  outputs: PredictOutput[];
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

export function runPredict(o: PredictOptions): PredictSummary {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const formats = [...(o.formats ?? ["nifti", "png"])];
  if (o.inputs.length === 0) throw new Error("predict: no INPUT given");
  const predictor = o.predictor ?? Predictor.load(o.model, { flipTTA: o.tta });
  const summary: PredictSummary = { model: o.model, tta: o.tta === true, lcc: o.lcc === true, formats, outputs: [], failures: [] };
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
    items.forEach((item, i) => {
      const tag = `[${i + 1}/${items.length}] ${item.name}`;
      try {
        const out = predictItem(predictor, item, o, formats, (k, nz) => progress.status(`${tag}: slice ${k + 1}/${nz}`));
        summary.outputs.push(out);
        progress.line(`${tag}: ${out.dims.join("x")}, ${out.seconds.toFixed(1)} s -> ${join(o.out, item.name)}`);
      } catch (err) {
        summary.failures.push({ input: item.input, message: `${item.name}: ${messageOf(err)}` });
        progress.line(`${tag}: FAILED, skipped: ${messageOf(err)}`);
      }
    });
  } finally {
    if (!o.predictor) predictor.dispose();
  }
  writeFileAtomic(join(o.out, "predict-summary.json"), JSON.stringify(summary, null, 1) + "\n");
  return summary;
}

function predictItem(predictor: Predictor, item: PredictItem, o: PredictOptions, formats: readonly PredictFormat[],
  onSlice: (k: number, nz: number) => void): PredictOutput {
  const started = performance.now();
  const image = item.load();
  let labels = predictVolume(predictor, image, onSlice);
  let removed: Record<string, number> | undefined;
  if (o.lcc) {
    const r = keepLargestComponents(labels);
    labels = r.labels;
    removed = Object.fromEntries(Object.entries(r.removed).map(([c, n]) => [predictor.classNames[Number(c)] ?? c, n]));
  }
  const files = writeOutputs(join(o.out, item.name), item, image, labels, formats, predictor.classNames);
  const out: PredictOutput = { input: item.input, name: item.name, dims: labels.dims.slice(), files, seconds: (performance.now() - started) / 1000 };
  if (removed) out.lcc_removed = removed;
  return out;
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
