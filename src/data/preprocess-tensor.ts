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
 * linear percentiles of the sorted pixels, then mean and population std of the clipped pixels.
 * Computed in float64, as the JavaScript reference does. Throws on NaN or infinite pixels.
 */
export function batchIntensityStats(x: Tensor, opts: NormalizeOptions = {}): BatchStats {
  return tidy(() => {
    if (!x.isfinite().all().item()) throw new Error("image contains NaN or infinite values");
    const flat = x.flatten(1);
    const sorted = flat.sort(1).values;
    const lo = percentileOfSorted(sorted, opts.lowPercentile ?? 0.5);
    const hi = percentileOfSorted(sorted, opts.highPercentile ?? 99.5).maximum(lo);
    const clipped = flat.double().clamp(lo, hi);
    const mean = clipped.mean(1, true);
    const spread = clipped.sub(mean).square().mean(1, true).sqrt();
    const std = spread.where(spread.ge(MIN_STD), 1);
    const view = (t: Tensor): Tensor => t.view([x.shape[0], 1, 1, 1]);
    return { lo: view(lo), hi: view(hi), mean: view(mean), std: view(std) };
  });
}

/** util/stats.ts's percentileSorted along dim 1 of [B, n] sorted rows, as float64 [B, 1]. */
function percentileOfSorted(sorted: Tensor, q: number): Tensor {
  const n = sorted.shape[1];
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (n - 1);
  const i = Math.floor(pos), t = pos - i;
  const a = sorted.narrow(1, i, 1).double(), b = sorted.narrow(1, Math.min(i + 1, n - 1), 1).double();
  // NumPy's _lerp, from the nearer end (as percentileSorted).
  return t >= 0.5 ? b.sub(b.sub(a).mul(1 - t)) : a.add(b.sub(a).mul(t));
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
    const normalised = resampled.double().clamp(s.lo, s.hi).sub(s.mean).div(s.std).float();
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
