// src/models — the DeepLab v3 / v3+ networks written on src/nn, laid out like torchvision so that
// state-dict keys and parameter counts match torchvision's deeplabv3_resnet50/101 exactly.
// norm.ts owns the choice of normalisation layer: BatchNorm (torchvision's default) or GroupNorm,
// which keeps working with the tiny batches (1-2 slices) that fit on a CPU.
import { BatchNorm2d, GroupNorm } from "../nn/index.js";
import type { Layer } from "../nn/index.js";

export type NormKind = "batch" | "group";

export interface NormOptions {
  kind: NormKind;
  /** Groups for GroupNorm; a channel count not divisible by it falls back to the largest divisor. */
  groups: number;
}

export const defaultNorm: NormOptions = { kind: "batch", groups: 32 };

/** A normalisation layer over `channels` feature maps; the state-dict names match BatchNorm's weight/bias. */
export function makeNorm(channels: number, norm: NormOptions): Layer {
  if (norm.kind === "batch") return new BatchNorm2d(channels);
  return new GroupNorm(largestDivisorAtMost(channels, norm.groups), channels);
}

function largestDivisorAtMost(n: number, limit: number): number {
  for (let g = Math.min(n, Math.max(1, limit)); g > 1; g--) if (n % g === 0) return g;
  return 1;
}
