// preprocess-tensor.ts owns the libtorch twin of preprocess.ts for a batch of slices that share one
// geometry (the slices and frames of one volume): the same per-slice intensity statistics
// (normalize.ts: percentile clip + z-score on the original pixels), the same in-plane resampling
// (resample.ts: pixel centres at (u + 0.5) * scale - 0.5 with scale = outSpacing / inSpacing,
// border clamped, which is ATen's upsample_bilinear2d with explicit scales), the same padding with
// the normalised low clip, and the inverse for per-class scores. It runs on the tensors' device, so
// inference moves no pixel through JavaScript. preprocess.ts stays the reference it is tested against.
import { F, tidy, type Tensor } from "../tensor/index.js";
import type { NormalizeOptions } from "./normalize.js";
import type { SliceGeometry } from "./preprocess.js";

/** Per-slice statistics as float64 tensors [B, 1, 1, 1] (normalize.ts's IntensityStats, batched). */
export interface BatchStats {
  readonly lo: Tensor;
  readonly hi: Tensor;
  readonly mean: Tensor;
  readonly std: Tensor;
}

// Below this the slice is flat (normalize.ts's MIN_STD): its spread is taken as 1.
const MIN_STD = 1e-6;

/**
 * normalize.ts's intensityStats for every slice of `x` [B, 1, H, W] (raw intensities): numpy's
 * linear percentiles of the pixels, then mean and population std of the clipped pixels, in
 * float64 as the JavaScript reference computes them. Throws on NaN or infinite pixels.
 */
export function batchIntensityStats(x: Tensor, opts: NormalizeOptions = {}): BatchStats {
  return tidy(() => {
    if (!x.isfinite().all().item()) throw new Error("image contains NaN or infinite values");
    const flat = x.flatten(1);
    const lo = percentile(flat, opts.lowPercentile ?? 0.5);
    const hi = percentile(flat, opts.highPercentile ?? 99.5).maximum(lo);
    const clipped = flat.double().clamp(lo, hi);
    const mean = clipped.mean(1, true);
    const spread = clipped.sub(mean).square().mean(1, true).sqrt();
    const std = spread.where(spread.ge(MIN_STD), 1);
    const view = (t: Tensor): Tensor => t.view([x.shape[0], 1, 1, 1]);
    return { lo: view(lo), hi: view(hi), mean: view(mean), std: view(std) };
  });
}

/**
 * util/stats.ts's percentile along dim 1 of [B, n] rows, as float64 [B, 1]. Only the two order
 * statistics it interpolates are needed, so they come from a top-k of the nearer tail (k is about
 * 0.5 % of n for the default clip) instead of a full sort: the same values, 15x faster.
 */
function percentile(rows: Tensor, q: number): Tensor {
  const n = rows.shape[1];
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (n - 1);
  const i = Math.floor(pos), t = pos - i, j = Math.min(i + 1, n - 1);
  const [a, b] = i < n / 2
    ? orderStatistics(rows.topk(j + 1, 1, false).values, [i, j])
    : orderStatistics(rows.topk(n - i, 1, true).values, [n - 1 - i, n - 1 - j]);
  // NumPy's _lerp, from the nearer end (as percentileSorted).
  return t >= 0.5 ? b.sub(b.sub(a).mul(1 - t)) : a.add(b.sub(a).mul(t));
}

/** Columns `at` of `values` [B, k], each as float64 [B, 1]. */
function orderStatistics(values: Tensor, at: readonly number[]): Tensor[] {
  return at.map((c) => values.narrow(1, c, 1).double());
}

/** The network input for raw slices `x` [B, 1, height, width] (float32): [B, 1, outHeight, outWidth]. */
export function preprocessBatch(x: Tensor, g: SliceGeometry, opts: NormalizeOptions = {}): Tensor {
  checkBatch(x, g.height, g.width, "preprocessBatch");
  checkPadOnly(g);
  return tidy(() => {
    const s = batchIntensityStats(x, opts);
    const resampled = F.interpolate(x, {
      size: [g.resampledHeight, g.resampledWidth], mode: "bilinear", alignCorners: false,
      scaleFactor: [g.spacing[1] / g.targetSpacing, g.spacing[0] / g.targetSpacing],
    });
    // float32 from here (the reference rounds each value to float32 once; this rounds per op,
    // a few units in the last place): the image-sized double temporaries cost more than the stats.
    const [lo, hi, mean, std] = [s.lo, s.hi, s.mean, s.std].map((t) => t.float());
    const normalised = resampled.clamp(lo, hi).sub(mean).div(std);
    // Padding is "air": the normalised value of the low clip (preprocess.ts).
    const air = s.lo.sub(s.mean).div(s.std).float();
    const canvas = air.expand([x.shape[0], 1, g.outHeight, g.outWidth]).contiguous();
    canvas.narrow(2, g.offsetY, g.resampledHeight).narrow(3, g.offsetX, g.resampledWidth).copy_(normalised);
    return canvas;
  });
}

/**
 * Per-class scores on the network grid [B, C, outHeight, outWidth] back onto the slice grid
 * [B, C, height, width] (bilinear, preprocess.ts's restoreScores for a padded, never cropped, geometry).
 */
export function restoreScoresBatch(scores: Tensor, g: SliceGeometry): Tensor {
  checkBatch(scores, g.outHeight, g.outWidth, "restoreScoresBatch");
  checkPadOnly(g);
  return tidy(() => F.interpolate(
    scores.narrow(2, g.offsetY, g.resampledHeight).narrow(3, g.offsetX, g.resampledWidth),
    {
      size: [g.height, g.width], mode: "bilinear", alignCorners: false,
      scaleFactor: [g.targetSpacing / g.spacing[1], g.targetSpacing / g.spacing[0]],
    },
  ));
}

function checkBatch(x: Tensor, height: number, width: number, what: string): void {
  if (x.dim() !== 4 || x.shape[2] !== height || x.shape[3] !== width) {
    throw new Error(`${what}: expected [B, C, ${height}, ${width}], got [${x.shape.join(", ")}]`);
  }
}

/** Inference pads the resampled slice up to a multiple of the stride; a crop would lose pixels. */
function checkPadOnly(g: SliceGeometry): void {
  if (g.offsetX < 0 || g.offsetY < 0) {
    throw new Error(`a ${g.outWidth}x${g.outHeight} network grid would crop the ${g.resampledWidth}x${g.resampledHeight} resampled slice`);
  }
}
