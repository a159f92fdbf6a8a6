// preprocess.ts owns the deterministic slice preprocessing shared by validation, prediction and
// evaluation, and its inverse: resample in-plane to the target spacing (bilinear image, nearest
// labels), normalise intensities (percentile clip + z-score), centre crop/pad to the network size.
// `geometry` records every step so restoreSlice/restoreScores map predictions back onto the
// original slice grid (un-crop/un-pad, then resample back).
import { resampleBilinear, resampleNearest, resampledSize } from "./resample.js";
import { intensityStats, normalizeValue, type IntensityStats, type NormalizeOptions } from "./normalize.js";

export const DEFAULT_TARGET_SPACING = 1.25;

export interface PreprocessOptions extends NormalizeOptions {
  /** In-plane spacing after resampling, mm (default 1.25). */
  readonly targetSpacing?: number;
  /** Output size; absent = keep the whole resampled slice, padded up to a multiple of multipleOf. */
  readonly size?: { readonly width: number; readonly height: number };
  /** Only without `size`: pad each side up to a multiple of this (default 1; 8/16 suit the nets). */
  readonly multipleOf?: number;
}

/** Everything needed to go from the original slice grid to the network grid and back. */
export interface SliceGeometry {
  readonly width: number;
  readonly height: number;
  readonly spacing: readonly [number, number];
  readonly targetSpacing: number;
  readonly resampledWidth: number;
  readonly resampledHeight: number;
  readonly outWidth: number;
  readonly outHeight: number;
  /** Canvas position of resampled pixel (0, 0); negative where the slice was cropped. */
  readonly offsetX: number;
  readonly offsetY: number;
}

export interface SliceInput {
  readonly image: Float32Array;
  readonly width: number;
  readonly height: number;
  /** In-plane spacing [x, y] in mm. */
  readonly spacing: readonly [number, number];
  readonly label?: Uint8Array;
}

export interface PreprocessedSlice {
  readonly image: Float32Array;
  /** Present when the input had labels (nearest-resampled, 0 outside the slice). */
  readonly label?: Uint8Array;
  readonly geometry: SliceGeometry;
  readonly stats: IntensityStats;
}

export function sliceGeometry(
  width: number, height: number, spacing: readonly [number, number], opts: PreprocessOptions = {},
): SliceGeometry {
  const t = opts.targetSpacing ?? DEFAULT_TARGET_SPACING;
  if (!(t > 0) || !(spacing[0] > 0) || !(spacing[1] > 0)) {
    throw new Error(`invalid spacing: slice ${spacing.join("x")} mm, target ${t} mm`);
  }
  const rw = resampledSize(width, spacing[0], t), rh = resampledSize(height, spacing[1], t);
  const m = Math.max(1, Math.floor(opts.multipleOf ?? 1));
  const outWidth = opts.size ? opts.size.width : Math.ceil(rw / m) * m;
  const outHeight = opts.size ? opts.size.height : Math.ceil(rh / m) * m;
  return {
    width, height, spacing: [spacing[0], spacing[1]], targetSpacing: t,
    resampledWidth: rw, resampledHeight: rh, outWidth, outHeight,
    offsetX: Math.floor((outWidth - rw) / 2), offsetY: Math.floor((outHeight - rh) / 2),
  };
}

export function preprocessSlice(input: SliceInput, opts: PreprocessOptions = {}, stats?: IntensityStats): PreprocessedSlice {
  const { image, width, height, spacing, label } = input;
  if (image.length !== width * height) throw new Error(`preprocessSlice: image has ${image.length} pixels, expected ${width}x${height}`);
  if (label && label.length !== width * height) throw new Error(`preprocessSlice: label has ${label.length} pixels, expected ${width}x${height}`);
  const g = sliceGeometry(width, height, spacing, opts);
  const s = stats ?? intensityStats(image, opts);
  const sx = g.targetSpacing / spacing[0], sy = g.targetSpacing / spacing[1];
  const resampled = resampleBilinear(image, width, height, g.resampledWidth, g.resampledHeight, sx, sy);
  for (let i = 0; i < resampled.length; i++) resampled[i] = normalizeValue(resampled[i], s);
  // Padding is "air": the normalised value of the low clip, not the mean.
  const out = moveCanvas(resampled, g.resampledWidth, g.resampledHeight, g.outWidth, g.outHeight, g.offsetX, g.offsetY, normalizeValue(s.lo, s));
  let outLabel: Uint8Array | undefined;
  if (label) {
    const rl = resampleNearest(label, width, height, g.resampledWidth, g.resampledHeight, sx, sy);
    outLabel = moveCanvas(rl, g.resampledWidth, g.resampledHeight, g.outWidth, g.outHeight, g.offsetX, g.offsetY, 0);
  }
  return { image: out, label: outLabel, geometry: g, stats: s };
}

/** A predicted label map on the network grid back onto the original slice grid (nearest). */
export function restoreSlice(pred: Uint8Array, g: SliceGeometry): Uint8Array {
  if (pred.length !== g.outWidth * g.outHeight) throw new Error(`restoreSlice: prediction has ${pred.length} pixels, expected ${g.outWidth}x${g.outHeight}`);
  const rl = moveCanvas(pred, g.outWidth, g.outHeight, g.resampledWidth, g.resampledHeight, -g.offsetX, -g.offsetY, 0);
  return resampleNearest(rl, g.resampledWidth, g.resampledHeight, g.width, g.height,
    g.spacing[0] / g.targetSpacing, g.spacing[1] / g.targetSpacing);
}

/**
 * Per-class scores [C, outH, outW] (probabilities or logits) back onto the original grid
 * [C, height, width] (bilinear), so the argmax can be taken at full resolution. Pixels that were
 * cropped away get `fill[c]` (default: probability 1 for class 0, 0 for the others).
 */
export function restoreScores(scores: Float32Array, channels: number, g: SliceGeometry, fill?: readonly number[]): Float32Array {
  const plane = g.outWidth * g.outHeight;
  if (scores.length !== plane * channels) throw new Error(`restoreScores: ${scores.length} values, expected ${channels}x${g.outHeight}x${g.outWidth}`);
  const rplane = g.resampledWidth * g.resampledHeight;
  const resampled = new Float32Array(rplane * channels);
  for (let c = 0; c < channels; c++) {
    const f = fill ? fill[c] : c === 0 ? 1 : 0;
    const part = moveCanvas(scores.subarray(c * plane, (c + 1) * plane), g.outWidth, g.outHeight,
      g.resampledWidth, g.resampledHeight, -g.offsetX, -g.offsetY, f);
    resampled.set(part, c * rplane);
  }
  return resampleBilinear(resampled, g.resampledWidth, g.resampledHeight, g.width, g.height,
    g.spacing[0] / g.targetSpacing, g.spacing[1] / g.targetSpacing, channels);
}

/** Argmax over channels of [C, n] scores. */
export function argmaxChannels(scores: Float32Array, channels: number): Uint8Array {
  const n = scores.length / channels;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = scores[i], arg = 0;
    for (let c = 1; c < channels; c++) {
      const v = scores[c * n + i];
      if (v > best) { best = v; arg = c; }
    }
    out[i] = arg;
  }
  return out;
}

/**
 * Copy a w x h plane into a new outW x outH plane with src pixel (0,0) at (offX, offY); what
 * falls outside is dropped (crop), what is not covered gets `fill` (pad).
 */
export function moveCanvas<T extends Float32Array | Uint8Array>(
  src: T, w: number, h: number, outW: number, outH: number, offX: number, offY: number, fill: number,
): T {
  const out = (src instanceof Uint8Array ? new Uint8Array(outW * outH) : new Float32Array(outW * outH)) as T;
  if (fill !== 0) out.fill(fill);
  const x0 = Math.max(0, offX), x1 = Math.min(outW, offX + w);
  const y0 = Math.max(0, offY), y1 = Math.min(outH, offY + h);
  if (x1 <= x0) return out;
  for (let y = y0; y < y1; y++) {
    const srow = (y - offY) * w + (x0 - offX);
    out.set(src.subarray(srow, srow + (x1 - x0)), y * outW + x0);
  }
  return out;
}
