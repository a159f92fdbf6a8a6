// test/onnx — tests of the ONNX export and the ONNX Runtime engine.
// helpers.ts holds the architecture variants the parity tests cover, tiny models built from them
// with randomised (deterministic) normalisation state, and a libtorch reference forward.
import { DeepLabV3, defaultModelConfig, type ModelConfig } from "../../src/models/index.js";
import { BatchNorm2d, GroupNorm } from "../../src/nn/index.js";
import { Generator, fromTypedArray, manualSeed, noGrad, rand, randn, tidy } from "../../src/tensor/index.js";
import type { OutputStride, ResNetDepth } from "../../src/models/index.js";

export interface Variant {
  name: string;
  config: ModelConfig;
  /** Also export this variant with BatchNorm folded into the convs. */
  fold: boolean;
}

const TINY: Partial<ModelConfig> = { width: 4, asppChannels: 8, lowLevelChannels: 6, inChannels: 1, numClasses: 4, normGroups: 2 };

function variant(arch: ModelConfig["arch"], backbone: ResNetDepth, outputStride: OutputStride, multiGrid: number[] | null,
  norm: ModelConfig["norm"], extra: { aux?: boolean; fold?: boolean } = {}): Variant {
  const parts = [arch === "deeplabv3plus" ? "v3+" : "v3", `R${backbone}`, `OS${outputStride}`, multiGrid ? `mg${multiGrid.join("")}` : "", norm === "group" ? "GN" : "BN", extra.aux ? "aux" : ""];
  return {
    name: parts.filter(Boolean).join(" "),
    config: { ...defaultModelConfig, ...TINY, arch, backbone, outputStride, multiGrid, norm, auxLoss: extra.aux ?? false },
    fold: extra.fold ?? false,
  };
}

/**
 * What `npm test` covers: each architecture, every backbone depth, every output stride, multi-grid
 * or not, BatchNorm (folded and not) and GroupNorm, an aux head (dropped by the export), each at
 * least twice across the list.
 */
export const COVERING_VARIANTS: Variant[] = [
  variant("deeplabv3", 18, 16, null, "batch", { fold: true }),
  variant("deeplabv3plus", 18, 8, [1, 2], "group", { aux: true }),
  variant("deeplabv3", 34, 32, [1, 2, 4], "batch"),
  variant("deeplabv3plus", 34, 16, null, "group"),
  variant("deeplabv3", 50, 8, [1, 2, 4], "group"),
  variant("deeplabv3plus", 50, 32, null, "batch", { aux: true, fold: true }),
  variant("deeplabv3", 101, 16, [1, 2, 4], "batch"),
  variant("deeplabv3plus", 101, 8, null, "group"),
  variant("deeplabv3plus", 18, 16, null, "batch", { fold: true }), // acdc-cpu's architecture
];

/** Every combination (`npm run test:onnx-all`): 2 architectures x 4 depths x 3 strides x multi-grid x 2 norms. */
export function allVariants(): Variant[] {
  const out: Variant[] = [];
  for (const arch of ["deeplabv3", "deeplabv3plus"] as const) {
    for (const depth of [18, 34, 50, 101] as const) {
      for (const os of [8, 16, 32] as const) {
        for (const mg of [null, depth === 18 ? [1, 2] : [1, 2, 4]]) {
          for (const norm of ["batch", "group"] as const) out.push(variant(arch, depth, os, mg, norm, { fold: norm === "batch" }));
        }
      }
    }
  }
  return out;
}

/** The variants this run covers: all of them when CARDIOSEG_ONNX_ALL=1, else the covering set. */
export function variantsUnderTest(): Variant[] {
  return process.env.CARDIOSEG_ONNX_ALL === "1" ? allVariants() : COVERING_VARIANTS;
}

/**
 * Plausible normalisation state, as after training: random affine parameters, and BatchNorm running
 * statistics measured on random batches (as training would leave them). With the defaults (mean 0,
 * var 1, gamma 1, beta 0) a wrong BatchNorm or GroupNorm export would go unnoticed; with random
 * statistics unrelated to the activations a deep (R101) model's logits grow to thousands.
 */
export function randomiseNorms(model: DeepLabV3, seed: number): void {
  const g = new Generator(seed);
  noGrad(() => tidy(() => {
    for (const m of model.modules()) {
      if (!(m instanceof BatchNorm2d) && !(m instanceof GroupNorm)) continue;
      const n = m instanceof BatchNorm2d ? m.numFeatures : m.numChannels;
      m.weight!.copy_(rand([n], { generator: g }).add(0.5));
      m.bias!.copy_(randn([n], { generator: g }).mul(0.2));
      if (m instanceof BatchNorm2d) {
        Reflect.set(m, "momentum", null); // cumulative average over the calibration batches
        m.numBatchesTracked!.zero_();
      }
    }
    model.train();
    for (let i = 0; i < 6; i++) model.forward(randn([8, model.config.inChannels, 64, 64], { generator: g }));
    model.eval();
  }));
}

/** A tiny eval-mode model of `config` with randomised normalisation state. */
export function tinyModel(config: ModelConfig, seed = 7): DeepLabV3 {
  manualSeed(seed); // the weights' initialisation draws from libtorch's global generator
  const model = new DeepLabV3(config);
  randomiseNorms(model, seed);
  return model.eval();
}

/** A reproducible standard-normal input [b, c, h, w] as a typed array. */
export function randomInput(seed: number, b: number, c: number, h: number, w: number): Float32Array {
  return noGrad(() => tidy(() => randn([b, c, h, w], { generator: new Generator(seed) }).toFloat32Array()));
}

/** libtorch eval logits of `model` for `x` [b, c, h, w]. */
export function torchLogits(model: DeepLabV3, x: Float32Array, b: number, h: number, w: number): Float32Array {
  return noGrad(() => tidy(() => model.forward(fromTypedArray(x, [b, model.config.inChannels, h, w])).out.toFloat32Array()));
}

/** The same model's logits computed in float64 (the rounding-free reference), from the same seed. */
export function float64Logits(config: ModelConfig, x: Float32Array, b: number, h: number, w: number, seed = 7): Float32Array {
  const model = tinyModel(config, seed).to({ dtype: "float64" });
  try {
    return noGrad(() => tidy(() => model.forward(fromTypedArray(Float64Array.from(x), [b, config.inChannels, h, w])).out.toFloat32Array()));
  } finally {
    model.dispose();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Argmax over channels of [B, C, H, W] logits: labels [B, H, W]. */
export function labelsOf(logits: Float32Array, b: number, c: number, plane: number): Uint8Array {
  const out = new Uint8Array(b * plane);
  for (let n = 0; n < b; n++) {
    for (let p = 0; p < plane; p++) {
      let best = -Infinity, arg = 0;
      for (let k = 0; k < c; k++) {
        const v = logits[(n * c + k) * plane + p];
        if (v > best) { best = v; arg = k; }
      }
      out[n * plane + p] = arg;
    }
  }
  return out;
}
