// forward.ts (src/train) owns the training forward at the run's precision: float32, or the forward
// under autocast to bfloat16 ("bf16-mixed": libtorch runs the convolutions in bfloat16 from float32
// weights, and autograd carries the gradients back to those float32 weights). The logits come back
// float32, so the loss, the optimiser and everything after them are float32 at either precision.
// A channels-last run gets its images channels-last here too: with one channel libtorch cannot tell
// the layouts apart from the weights, and the stem (the step's largest activations) would run NCHW.
import type { DeepLabOutput, DeepLabV3 } from "../models/index.js";
import { autocast, cpuHasNativeBf16, type DeviceLike, type Tensor } from "../tensor/index.js";
import type { Precision } from "./config.js";

export interface TrainingForwardOptions {
  precision: Precision;
  device: DeviceLike;
  /** The model's weights are channels-last (config `channelsLast`): the images are made so too. */
  channelsLast: boolean;
}

/** `model.forward(images)` as the run trains; call inside tidy() (the bfloat16 logits are intermediates). */
export function trainingForward(model: DeepLabV3, images: Tensor, o: TrainingForwardOptions): DeepLabOutput {
  const x = o.channelsLast ? images.contiguous("channelsLast") : images;
  if (o.precision !== "bf16-mixed") return model.forward(x);
  const out = autocast(o.device === "cpu" ? "cpu" : "cuda", "bfloat16", () => model.forward(x));
  return out.aux ? { out: out.out.to("float32"), aux: out.aux.to("float32") } : { out: out.out.to("float32") };
}

/** The precision a run trains at: bf16-mixed falls back to float32 (with `note` saying why) on a CPU without bf16. */
export function effectivePrecision(asked: Precision, device: DeviceLike, nativeBf16 = cpuHasNativeBf16()):
  { precision: Precision; note: string | null } {
  if (asked !== "bf16-mixed" || device !== "cpu" || nativeBf16) return { precision: asked, note: null };
  return {
    precision: "float32",
    note: "precision: bf16-mixed asked for, but this CPU has no AVX512-BF16/AMX (bfloat16 would run on a slow "
      + "reference path): training in float32",
  };
}
