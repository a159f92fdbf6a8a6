// Functional neural-network ops (PyTorch's torch.nn.functional), exported as `F`. Each calls the
// same ATen op F.* calls in PyTorch, so values and gradients match it.
import { arange } from "./creation.js";
import { N } from "./native.js";
import { Tensor } from "./tensor.js";
import type { Generator } from "./generator.js";

export type Pair = number | [number, number];
export type Reduction = "mean" | "sum" | "none";

const REDUCTION: Readonly<Record<Reduction, number>> = { none: 0, mean: 1, sum: 2 };

function pair(v: Pair | undefined, fallback: number): number[] {
  if (v === undefined) return [fallback, fallback];
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

function reduction(r: Reduction | undefined): number {
  const code = REDUCTION[r ?? "mean"];
  if (code === undefined) throw new Error(`unknown reduction '${r}' (expected "mean", "sum" or "none")`);
  return code;
}

// ---- convolution & linear ----

export interface Conv2dOptions { stride?: Pair; padding?: Pair | "same"; dilation?: Pair; groups?: number }

export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const stride = pair(opts.stride, 1), dilation = pair(opts.dilation, 1), groups = opts.groups ?? 1;
  if (opts.padding === "same") return new Tensor(N.conv2dSame(x._h, w._h, b?._h, stride, dilation, groups));
  return new Tensor(N.conv2d(x._h, w._h, b?._h, stride, pair(opts.padding, 0), dilation, groups));
}

/**
 * Which backward passes conv2d would compute outside libtorch for these operands right now (grad mode,
 * requires_grad, dtype and autocast count): `data` as a forward convolution of the flipped, transposed
 * weights, `weights` tap by tap — where oneDNN would run them on its gemm fallback (native/src/conv_backward.cc).
 */
export function conv2dBackwardRoute(
  x: Tensor, w: Tensor, opts: Omit<Conv2dOptions, "padding"> & { padding?: Pair } = {},
): { data: boolean; weights: boolean } {
  const [data, weights] = N.conv2dBackwardRoute(x._h, w._h, pair(opts.stride, 1), pair(opts.padding, 0),
    pair(opts.dilation, 1), opts.groups ?? 1);
  return { data, weights };
}

export interface ConvTranspose2dOptions { stride?: Pair; padding?: Pair; outputPadding?: Pair; groups?: number; dilation?: Pair }

export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  return new Tensor(N.convTranspose2d(x._h, w._h, b?._h, pair(opts.stride, 1), pair(opts.padding, 0),
    pair(opts.outputPadding, 0), opts.groups ?? 1, pair(opts.dilation, 1)));
}

/** y = x W^T + b. */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  return new Tensor(N.linear(x._h, w._h, b?._h));
}

// ---- normalisation ----

export interface BatchNormOptions { training?: boolean; momentum?: number; eps?: number }

/** Batch norm; in training mode the running statistics (when given) are updated in place. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null,
  bias: Tensor | null = null, opts: BatchNormOptions = {}): Tensor {
  return new Tensor(N.batchNorm(x._h, runningMean?._h, runningVar?._h, weight?._h, bias?._h, opts.training ?? false,
    opts.momentum ?? 0.1, opts.eps ?? 1e-5));
}

export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(N.groupNorm(x._h, numGroups, weight?._h, bias?._h, eps));
}

export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(N.layerNorm(x._h, normalizedShape, weight?._h, bias?._h, eps));
}

// ---- activations ----

export function relu(x: Tensor): Tensor { return new Tensor(N.relu(x._h)); }
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor { return new Tensor(N.leakyRelu(x._h, negativeSlope)); }
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  return new Tensor(N.gelu(x._h, approximate === "tanh"));
}
export function silu(x: Tensor): Tensor { return new Tensor(N.silu(x._h)); }
export function sigmoid(x: Tensor): Tensor { return new Tensor(N.sigmoid(x._h)); }
export function tanh(x: Tensor): Tensor { return new Tensor(N.tanh(x._h)); }
export function softmax(x: Tensor, dim: number): Tensor { return new Tensor(N.softmax(x._h, dim)); }
export function logSoftmax(x: Tensor, dim: number): Tensor { return new Tensor(N.logSoftmax(x._h, dim)); }

// ---- pooling ----

export interface MaxPool2dOptions { kernelSize: Pair; stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean }

export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  const k = pair(opts.kernelSize, 1);
  const stride = opts.stride === undefined ? k : pair(opts.stride, 1);
  return new Tensor(N.maxPool2d(x._h, k, stride, pair(opts.padding, 0), pair(opts.dilation, 1), opts.ceilMode ?? false));
}

export interface AvgPool2dOptions {
  kernelSize: Pair; stride?: Pair; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number;
}

export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const k = pair(opts.kernelSize, 1);
  const stride = opts.stride === undefined ? k : pair(opts.stride, 1);
  return new Tensor(N.avgPool2d(x._h, k, stride, pair(opts.padding, 0), opts.ceilMode ?? false,
    opts.countIncludePad ?? true, opts.divisorOverride));
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  return new Tensor(N.adaptiveAvgPool2d(x._h, pair(outputSize, 1)));
}

export function adaptiveMaxPool2d(x: Tensor, outputSize: Pair): Tensor {
  return new Tensor(N.adaptiveMaxPool2d(x._h, pair(outputSize, 1)));
}

// ---- resampling ----

export interface InterpolateOptions {
  size?: Pair;
  scaleFactor?: Pair;
  mode?: "nearest" | "bilinear" | "bicubic";
  /** Only for bilinear/bicubic; default false (PyTorch's default). */
  alignCorners?: boolean;
}

const INTERP_MODE = { nearest: 0, bilinear: 1, bicubic: 2 } as const;

/**
 * Resizes NCHW images (F.interpolate): give `size` or `scaleFactor`. Giving both is ATen's own
 * upsample_*2d(input, output_size, scales): the output has `size` while `scaleFactor` drives the
 * coordinate mapping (source = (dst + 0.5) / scale - 0.5), which is how a resampling between
 * spacings keeps its exact scale when the output size had to be rounded.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const mode = opts.mode ?? "nearest";
  if (opts.size === undefined && opts.scaleFactor === undefined) {
    throw new Error("interpolate: give size, scaleFactor or both");
  }
  if (mode === "nearest" && opts.alignCorners !== undefined) {
    throw new Error("interpolate: alignCorners can only be set with the interpolating modes (bilinear, bicubic)");
  }
  const size = opts.size === undefined ? null : pair(opts.size, 1);
  const scale = opts.scaleFactor === undefined ? null : pair(opts.scaleFactor, 1);
  return new Tensor(N.interpolate(x._h, size, scale, INTERP_MODE[mode], opts.alignCorners ?? false));
}

/** Sampling grids for gridSample from batches of 2x3 affine matrices (F.affine_grid). */
export function affineGrid(theta: Tensor, size: number[], alignCorners = false): Tensor {
  return new Tensor(N.affineGrid(theta._h, size, alignCorners));
}

export interface GridSampleOptions {
  mode?: "bilinear" | "nearest" | "bicubic";
  paddingMode?: "zeros" | "border" | "reflection";
  alignCorners?: boolean;
}

const GRID_MODE = { bilinear: 0, nearest: 1, bicubic: 2 } as const;
const GRID_PADDING = { zeros: 0, border: 1, reflection: 2 } as const;

export function gridSample(x: Tensor, grid: Tensor, opts: GridSampleOptions = {}): Tensor {
  return new Tensor(N.gridSample(x._h, grid._h, GRID_MODE[opts.mode ?? "bilinear"], GRID_PADDING[opts.paddingMode ?? "zeros"],
    opts.alignCorners ?? false));
}

/** Pads the last dimensions: [left, right] or [left, right, top, bottom] (F.pad). */
export function pad(x: Tensor, pads: number[], mode: "constant" | "reflect" | "replicate" | "circular" = "constant", value?: number): Tensor {
  return new Tensor(N.pad(x._h, pads, mode, mode === "constant" ? (value ?? 0) : undefined));
}

// ---- regularisation ----

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  return new Tensor(N.dropout(x._h, p, training, generator?._g, false));
}

/** Zeroes whole channels (F.dropout2d). */
export function dropout2d(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  return new Tensor(N.dropout(x._h, p, training, generator?._g, true));
}

export function oneHot(labels: Tensor, numClasses = -1): Tensor {
  return new Tensor(N.oneHot(labels._h, numClasses));
}

/**
 * Channel-first one-hot masks (bool [N, C, ...]) of labels [N, 1, ...]: one broadcast comparison with
 * 0..C-1, where oneHot + permute builds int64 channels-last and copies. A label outside 0..C-1 (an
 * ignore index) is all false.
 */
export function oneHotChannels(labels: Tensor, numClasses: number): Tensor {
  const shape = [1, numClasses, ...labels.shape.slice(2).map(() => 1)];
  return labels.eq(arange(numClasses, { dtype: labels.dtype, device: labels.device }).view(shape));
}

// ---- losses ----

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** Cross-entropy from raw logits (N, C, ...) and class indices (N, ...) or class probabilities. */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  return new Tensor(N.crossEntropy(logits._h, target._h, opts.weight?._h, reduction(opts.reduction),
    opts.ignoreIndex ?? -100, opts.labelSmoothing ?? 0));
}

export interface NllLossOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction }

export function nllLoss(logProbs: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  return new Tensor(N.nllLoss(logProbs._h, target._h, opts.weight?._h, reduction(opts.reduction), opts.ignoreIndex ?? -100));
}

export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return new Tensor(N.mseLoss(input._h, target._h, reduction(opts.reduction)));
}

export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return new Tensor(N.l1Loss(input._h, target._h, reduction(opts.reduction)));
}

export function smoothL1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor {
  return new Tensor(N.smoothL1Loss(input._h, target._h, reduction(opts.reduction), opts.beta ?? 1));
}

export interface BceWithLogitsOptions { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction }

export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  return new Tensor(N.binaryCrossEntropyWithLogits(logits._h, target._h, opts.weight?._h, opts.posWeight?._h,
    reduction(opts.reduction)));
}
