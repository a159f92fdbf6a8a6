// pipeline-feeds.ts owns the names and geometry inputs of the pre/postprocessing ONNX graphs
// (src/onnx/pipeline.ts builds them): one slice geometry (src/data/preprocess.ts's sliceGeometry,
// the volume predictor's) turned into the few numbers the graphs take, computed exactly as ATen's
// upsample_bilinear2d computes them for src/data/preprocess-tensor.ts. No pixel is touched here and
// nothing Node-only is imported, so the page (web/src/browser-engine.ts) and the tests share it.
import type { SliceGeometry } from "../data/preprocess.js";

/** Graph input and output names of the preprocessing graph. */
export const PRE = {
  raw: "raw", srcStep: "src_step", resampledSize: "resampled_size", pads: "pads",
  image: "image", nonfinite: "nonfinite",
} as const;

/** Graph input and output names of the postprocessing graph. */
export const POST = {
  logits: "logits", cropStarts: "crop_starts", cropEnds: "crop_ends", dstStep: "dst_step", outSize: "out_size",
  labels: "labels",
} as const;

/** The preprocessing graph's geometry inputs (the raw slices come beside them). */
export interface PreprocessFeeds {
  /** Source pixels per resampled pixel along (y, x), float32 as ATen holds it. */
  src_step: Float32Array;
  /** (resampledHeight, resampledWidth). */
  resampled_size: BigInt64Array;
  /** ONNX Pad pads of [B, 1, h, w]: zeros for B and C, then top, left, then bottom, right. */
  pads: BigInt64Array;
}

/** The postprocessing graph's geometry inputs (the logits come beside them). */
export interface PostprocessFeeds {
  /** Top-left corner of the resampled slice in the network grid (y, x) and the corner after it. */
  crop_starts: BigInt64Array;
  crop_ends: BigInt64Array;
  /** Resampled pixels per original pixel along (y, x), float32. */
  dst_step: Float32Array;
  /** (height, width) of the original slice. */
  out_size: BigInt64Array;
}

/**
 * ATen's source step for a resize from `inSize` to `outSize` with scale factor `scale`
 * (UpSample.h's compute_scales_value: float(1.0 / scale)); an equal size is a plain copy there
 * (compute_source_index_and_lambda), which a step of exactly 1 reproduces.
 */
export function sourceStep(inSize: number, outSize: number, scale: number): number {
  return inSize === outSize ? 1 : Math.fround(1 / scale);
}

/** The preprocessing inputs for slices of geometry `g` (preprocessBatch's resampling and padding). */
export function preprocessFeeds(g: SliceGeometry): PreprocessFeeds {
  checkPadOnly(g);
  const [sx, sy] = g.spacing;
  const t = g.targetSpacing;
  const bottom = g.outHeight - g.resampledHeight - g.offsetY, right = g.outWidth - g.resampledWidth - g.offsetX;
  return {
    src_step: Float32Array.of(sourceStep(g.height, g.resampledHeight, sy / t), sourceStep(g.width, g.resampledWidth, sx / t)),
    resampled_size: BigInt64Array.of(BigInt(g.resampledHeight), BigInt(g.resampledWidth)),
    pads: BigInt64Array.from([0, 0, g.offsetY, g.offsetX, 0, 0, bottom, right].map(BigInt)),
  };
}

/** The postprocessing inputs for slices of geometry `g` (restoreScoresBatch's crop and resampling). */
export function postprocessFeeds(g: SliceGeometry): PostprocessFeeds {
  checkPadOnly(g);
  const [sx, sy] = g.spacing;
  const t = g.targetSpacing;
  return {
    crop_starts: BigInt64Array.of(BigInt(g.offsetY), BigInt(g.offsetX)),
    crop_ends: BigInt64Array.of(BigInt(g.offsetY + g.resampledHeight), BigInt(g.offsetX + g.resampledWidth)),
    dst_step: Float32Array.of(sourceStep(g.resampledHeight, g.height, t / sy), sourceStep(g.resampledWidth, g.width, t / sx)),
    out_size: BigInt64Array.of(BigInt(g.height), BigInt(g.width)),
  };
}

function checkPadOnly(g: SliceGeometry): void {
  if (g.offsetX < 0 || g.offsetY < 0) {
    throw new Error(`a ${g.outWidth}x${g.outHeight} network grid would crop the ${g.resampledWidth}x${g.resampledHeight} resampled slice`);
  }
}
