// engine.ts owns the seam between the volume predictor and whatever runs the network: a
// LogitsEngine takes a batch of preprocessed slices and returns their logits, nothing else. The
// pre- and post-processing around it (resampling, normalisation, flips, softmax, resampling back,
// argmax) stay in the predictor, so another engine (ONNX Runtime for `--engine onnx`) plugs in
// without touching them. TorchEngine is the libtorch one: the trained DeepLab, BatchNorm folded,
// convolution weights and input in channels-last (NHWC) memory, which oneDNN runs without
// reordering every activation (measured on the acdc-cpu net, batch 5 of 320x272, 2 threads:
// about 12 % less CPU time per slice than NCHW after folding, which itself saved about 10 %).
// In float32 on CPU the convolutions are instead packed (src/tensor/packed-conv.ts): their weights
// reordered once into oneDNN's layout instead of on every call, and the 3x3 stride-1 ones run by
// oneDNN's Winograd kernel where the CPU has one (AVX-512); "convolutions" picks that, the packed
// direct kernels only, or libtorch's at::conv2d (the training forward's, for bit-level comparison).
// With precision "bfloat16" the folded weights are stored, and the network runs, in bfloat16 (on a CPU
// with AVX512-BF16/AMX, about half the time of float32); the logits return float32.
import { Conv2d, Parameter, foldBatchNorm_, packConvolutions_, type Module } from "../nn/index.js";
import type { DeepLabV3 } from "../models/index.js";
import { parseChoice } from "../util/choice.js";
import { cpuHasNativeBf16, noGrad, tidy, type DeviceLike, type Tensor } from "../tensor/index.js";

/** What the libtorch engine computes in: float32 (the default) or bfloat16 weights and activations. */
export type InferencePrecision = "float32" | "bfloat16";
export const INFERENCE_PRECISIONS: readonly InferencePrecision[] = ["float32", "bfloat16"];

export function parsePrecision(text: string): InferencePrecision {
  return parseChoice("--precision", INFERENCE_PRECISIONS, text);
}

/** Which kernels run a float32 CPU engine's convolutions. */
export type ConvolutionKernels = "winograd" | "packed" | "libtorch";
export const CONVOLUTION_KERNELS: readonly ConvolutionKernels[] = ["winograd", "packed", "libtorch"];

export function parseConvolutions(text: string): ConvolutionKernels {
  return parseChoice("--convolutions", CONVOLUTION_KERNELS, text);
}

export interface TorchEngineOptions {
  /** Default "winograd" (packed, Winograd for 3x3 stride 1 where the CPU has it); bfloat16 and CUDA use libtorch's. */
  convolutions?: ConvolutionKernels;
}

export interface LogitsEngine {
  /** Where the predictor builds the input batch (and runs its pre/post-processing). */
  readonly device: DeviceLike;
  readonly numClasses: number;
  /**
   * Logits [B, numClasses, H, W] (float32, contiguous NCHW) for a network input [B, 1, H, W]
   * (float32 on `device`, H and W multiples of 16). The caller owns and disposes both tensors. An engine whose runtime is
   * asynchronous (onnxruntime-node) returns a Promise; only the predictor's async path accepts it.
   */
  logits(x: Tensor): Tensor | Promise<Tensor>;
  dispose(): void;
}

/** The DeepLab on libtorch, in eval mode with its BatchNorms folded into the convolutions. */
export class TorchEngine implements LogitsEngine {
  readonly device: DeviceLike;
  readonly numClasses: number;
  /** BatchNorm layers folded into convolutions (0 for GroupNorm models). */
  readonly folded: number;
  /** Convolutions packed for oneDNN (0 with bfloat16, CUDA, "libtorch" or an addon without oneDNN). */
  readonly packed: number;
  /** The kernels in effect: the ones asked for when packed, else "libtorch". */
  readonly convolutions: ConvolutionKernels;

  /** Takes ownership of `model` (moved to `device`, set to eval, folded in place, cast to `precision`). */
  constructor(readonly model: DeepLabV3, device: DeviceLike = "cpu", readonly precision: InferencePrecision = "float32",
    options: TorchEngineOptions = {}) {
    this.device = device;
    this.numClasses = model.config.numClasses;
    if (device !== "cpu") model.to(device);
    model.eval();
    this.folded = foldBatchNorm_(model); // in float32, before any cast
    const kernels = options.convolutions ?? "winograd";
    const packable = precision === "float32" && device === "cpu" && kernels !== "libtorch";
    this.packed = packable ? packConvolutions_(model, { winograd: kernels === "winograd" }) : 0;
    this.convolutions = this.packed > 0 ? kernels : "libtorch";
    convWeightsChannelsLast_(model); // the convolutions libtorch still runs
    if (precision === "bfloat16") model.to("bfloat16");
    if (precision === "bfloat16" && device === "cpu" && !cpuHasNativeBf16()) {
      process.stderr.write("warning: --precision bfloat16 on a CPU without AVX512-BF16/AMX: libtorch emulates it, "
        + "slower than float32\n");
    }
  }

  /** Logits back in plain NCHW float32 memory: softmax over the channels of a channels-last tensor is 10x slower. */
  logits(x: Tensor): Tensor {
    return noGrad(() => tidy(() => {
      const input = this.precision === "bfloat16" ? x.to("bfloat16") : x;
      return this.model.forward(input.contiguous("channelsLast")).out.to("float32").contiguous();
    }));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Every unpacked Conv2d weight stored channels-last (same values; the convolutions then run NHWC end to end).
 * A packed convolution has its own copy in oneDNN's layout, so its weight is left as it is.
 */
function convWeightsChannelsLast_(model: Module): void {
  noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof Conv2d) || m.packedImplementation !== null || m.weight.isContiguous("channelsLast")) continue;
      const old = m.weight;
      Reflect.set(m, "weight", Parameter(old.contiguous("channelsLast"), old.requiresGrad));
      old.dispose();
    }
  });
}
