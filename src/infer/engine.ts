// engine.ts owns the seam between the volume predictor and whatever runs the network: a
// LogitsEngine takes a batch of preprocessed slices and returns their logits, nothing else. The
// pre- and post-processing around it (resampling, normalisation, flips, softmax, resampling back,
// argmax) stay in the predictor, so another engine (ONNX Runtime for `--engine onnx`) plugs in
// without touching them. TorchEngine is the libtorch one: the trained DeepLab, BatchNorm folded,
// convolution weights and input in channels-last (NHWC) memory, which oneDNN runs without
// reordering every activation (measured on the acdc-cpu net, batch 5 of 320x272, 2 threads:
// about 12 % less CPU time per slice than NCHW after folding, which itself saved about 10 %).
import { Conv2d, Parameter, foldBatchNorm_, type Module } from "../nn/index.js";
import type { DeepLabV3 } from "../models/index.js";
import { noGrad, tidy, type DeviceLike, type Tensor } from "../tensor/index.js";

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

  /** Takes ownership of `model` (moved to `device`, set to eval, folded in place). */
  constructor(readonly model: DeepLabV3, device: DeviceLike = "cpu") {
    this.device = device;
    this.numClasses = model.config.numClasses;
    if (device !== "cpu") model.to(device);
    model.eval();
    this.folded = foldBatchNorm_(model);
    convWeightsChannelsLast_(model);
  }

  /** Logits back in plain NCHW memory: softmax over the channels of a channels-last tensor is 10x slower. */
  logits(x: Tensor): Tensor {
    return noGrad(() => tidy(() => this.model.forward(x.contiguous("channelsLast")).out.contiguous()));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Every Conv2d weight stored channels-last (same values; the convolutions then run NHWC end to end). */
function convWeightsChannelsLast_(model: Module): void {
  noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof Conv2d) || m.weight.isContiguous("channelsLast")) continue;
      const old = m.weight;
      Reflect.set(m, "weight", Parameter(old.contiguous("channelsLast"), old.requiresGrad));
      old.dispose();
    }
  });
}
