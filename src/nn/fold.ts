// fold.ts owns conv + BatchNorm folding for inference (what torch.nn.utils.fusion.fuse_conv_bn_eval
// does): an eval-mode BatchNorm2d right after a Conv2d is an affine map per output channel, so it
// can be baked into that conv's weight and bias and the BatchNorm replaced by an Identity. Written
// once, used by the volume predictor (src/infer) and by the ONNX exporter.
//
// Which conv feeds which BatchNorm is a fact about a module's forward, not about its fields, so it
// is not guessed: a Sequential applies its layers in order (a Conv2d directly followed by a
// BatchNorm2d is a pair by definition), and any other module names its pairs by implementing
// ConvBnPairs next to its forward (ResNet's blocks and stem do). Modules that do neither are left as
// they are (correct, only not folded). GroupNorm is never folded: its statistics are per input.
//
// Folding is in place (no second copy of the weights in memory) and one-way: the model must be in
// eval mode, its state dict afterwards has conv biases and no BatchNorm keys, and it is for
// inference only (training it again would train without normalisation).
import { noGrad, tidy, type Tensor } from "../tensor/index.js";
import { Identity } from "./activation.js";
import { Sequential } from "./container.js";
import { Conv2d } from "./conv.js";
import { Module } from "./module.js";
import { BatchNorm2d } from "./norm.js";
import { Parameter } from "./parameter.js";

/** A module whose forward feeds field `conv`'s output straight into field `bn` (camelCase field names). */
export interface ConvBnPairs {
  convBnPairs(): ReadonlyArray<readonly [conv: string, bn: string]>;
}

function declaresPairs(m: Module): m is Module & ConvBnPairs {
  return typeof (m as Partial<ConvBnPairs>).convBnPairs === "function";
}

/** True when `bn` normalises with fixed running statistics (eval mode), i.e. is an affine map that can fold. */
export function isFoldable(conv: Module | undefined, bn: Module | undefined): bn is BatchNorm2d {
  return conv instanceof Conv2d && bn instanceof BatchNorm2d && !bn.training
    && bn.runningMean !== null && bn.runningVar !== null && bn.numFeatures === conv.outChannels;
}

/**
 * Rewrites `conv` so that conv'(x) = bn(conv(x)) with `bn` in eval mode:
 * scale = gamma / sqrt(running_var + eps), W' = W * scale, b' = (b - running_mean) * scale + beta.
 * Computed in float64 and stored in the conv's dtype and device. `bn` itself is left untouched.
 */
export function fuseConvBn_(conv: Conv2d, bn: BatchNorm2d): void {
  if (!isFoldable(conv, bn)) throw new Error("fuseConvBn_: needs a Conv2d and an eval-mode BatchNorm2d with running statistics over its output channels");
  const { weight, bias } = noGrad(() => tidy(() => {
    const mean = bn.runningMean as Tensor, variance = bn.runningVar as Tensor;
    const scale = variance.double().add(bn.eps).rsqrt();
    const gamma = bn.weight ? scale.mul(bn.weight.double()) : scale;
    const shift = conv.bias ? conv.bias.double().sub(mean.double()) : mean.double().neg();
    const beta = bn.bias ? shift.mul(gamma).add(bn.bias.double()) : shift.mul(gamma);
    const target = { dtype: conv.weight.dtype, device: conv.weight.device };
    return {
      weight: conv.weight.double().mul(gamma.view([conv.outChannels, 1, 1, 1])).to(target),
      bias: beta.to(target),
    };
  }));
  const old = [conv.weight, conv.bias];
  Reflect.set(conv, "weight", Parameter(weight, false));
  Reflect.set(conv, "bias", Parameter(bias, false));
  for (const t of old) t?.dispose();
}

/**
 * Folds every Conv2d -> BatchNorm2d pair of `model` (see the header for how pairs are found) in
 * place and returns how many were folded. Throws when the model is in training mode. Calling it
 * again finds nothing left to fold.
 */
export function foldBatchNorm_(model: Module): number {
  if (model.modules().some((m) => m.training)) throw new Error("foldBatchNorm_: the model is in training mode; call eval() first (folding is for inference)");
  let folded = 0;
  for (const m of model.modules()) {
    if (m instanceof Sequential) {
      for (let i = 0; i + 1 < m.length; i++) {
        const conv = m.at(i), bn = m.at(i + 1);
        if (!isFoldable(conv, bn)) continue;
        fuseConvBn_(conv as Conv2d, bn);
        m.replace(i + 1, identity()).dispose();
        folded++;
      }
    }
    if (declaresPairs(m)) {
      for (const [convField, bnField] of m.convBnPairs()) {
        const conv = Reflect.get(m, convField) as Module | undefined, bn = Reflect.get(m, bnField) as Module | undefined;
        if (!isFoldable(conv, bn)) continue;
        fuseConvBn_(conv as Conv2d, bn);
        Reflect.set(m, bnField, identity());
        bn.dispose();
        folded++;
      }
    }
  }
  return folded;
}

function identity(): Identity {
  const id = new Identity();
  id.eval();
  return id;
}
