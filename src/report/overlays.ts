// src/report/overlays.ts — writes a case's overlay pair into the run folder layout that the
// report reads (eval/cases/<id>_pred.png and <id>_gt.png; see run-folder.ts): the same slices,
// the same grey window, prediction or truth drawn with src/io/overlay.ts's colours, so the two
// pictures can be compared side by side. Called by `cardioseg evaluate` for each case.
import { join } from "node:path";
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { mosaic, percentileWindow, renderOverlay } from "../io/overlay.js";
import { writePngRgba } from "../io/png.js";
import { sliceOf } from "../io/slices.js";
import { RUN_FILES } from "./run-folder.js";

export interface OverlayPairOptions {
  /** Most slices per picture (evenly spaced over those that hold a structure). Default 6. */
  maxSlices?: number;
  /** Tiles per row. Default 3. */
  columns?: number;
}

/** Writes <runDir>/eval/cases/<id>_pred.png and <id>_gt.png; returns their paths. */
export function writeCaseOverlays(
  runDir: string, id: string, image: ImageVolume, pred: LabelVolume, truth: LabelVolume, opts: OverlayPairOptions = {},
): { pred: string; gt: string } {
  const [nx, ny, nz = 1] = truth.dims;
  if (image.dims[0] !== nx || image.dims[1] !== ny || (image.dims[2] ?? 1) !== nz) {
    throw new Error(`case ${id}: image ${image.dims.join("x")} and labels ${truth.dims.join("x")} differ in shape`);
  }
  const slices = pickSlices(pred, truth, nz, opts.maxSlices ?? 6);
  const grey = slices.flatMap((k) => Array.from(sliceOf(image, k)));
  const window = percentileWindow(grey);
  const picture = (labels: LabelVolume) =>
    mosaic(slices.map((k) => renderOverlay(sliceOf(image, k), sliceOf(labels, k), nx, ny, { window })), opts.columns ?? 3);
  const dir = join(runDir, RUN_FILES.cases);
  const out = { pred: join(dir, `${id}_pred.png`), gt: join(dir, `${id}_gt.png`) };
  writePngRgba(out.pred, picture(pred));
  writePngRgba(out.gt, picture(truth));
  return out;
}

/** Slices where either label map has foreground (all slices if none), thinned evenly to `max`. */
function pickSlices(pred: LabelVolume, truth: LabelVolume, nz: number, max: number): number[] {
  const withLabels: number[] = [];
  for (let k = 0; k < nz; k++) {
    if (sliceOf(truth, k).some((v) => v !== 0) || sliceOf(pred, k).some((v) => v !== 0)) withLabels.push(k);
  }
  const pool = withLabels.length > 0 ? withLabels : Array.from({ length: nz }, (_, k) => k);
  if (pool.length <= max) return pool;
  return Array.from({ length: max }, (_, i) => pool[Math.round((i * (pool.length - 1)) / Math.max(1, max - 1))]);
}
