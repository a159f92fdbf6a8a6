// pack.ts owns turning a run's weights into a file to ship (`cardioseg pack`): weights only (no
// optimiser state), float16 by default — half the size, and what models/ holds — with the
// checkpoint's metadata (model and experiment config, iteration) kept so every command loads it as
// it loads a run. BatchNorm running statistics stay float32 (a few thousand numbers; the variance
// needs the range). Loading converts back: loadStateDict copies each tensor into the model's
// float32 parameters, so inference always runs in float32.
import { statSync } from "node:fs";
import { basename } from "node:path";
import { CHECKSUM_KEY, loadSafetensors, saveSafetensors } from "../tensor/safetensors.js";
import { noGrad, tidy, type Tensor } from "../tensor/index.js";
import { weightsModelConfig } from "./checkpoint.js";
import { resolveWeightsPath } from "./model-path.js";

export type PackDType = "float16" | "float32";

export interface PackResult {
  source: string;
  out: string;
  dtype: PackDType;
  bytes: number;
  tensors: number;
  /** Tensors converted to float16. */
  halved: number;
}

/** BatchNorm buffers kept in float32 (PyTorch's names). */
const KEEP_FLOAT32 = /\.(running_mean|running_var)$/;

/** Write the weights of `source` (run folder or .safetensors) to `out` in `dtype`. */
export function packWeights(source: string, out: string, dtype: PackDType = "float16"): PackResult {
  const weights = resolveWeightsPath(source);
  const { tensors, metadata } = loadSafetensors(weights);
  const packed = new Map<string, Tensor>();
  let halved = 0;
  try {
    weightsModelConfig(weights, metadata);
    for (const [name, t] of tensors) {
      if (dtype === "float16" && t.dtype === "float32" && !KEEP_FLOAT32.test(name)) {
        packed.set(name, toHalf(name, t, weights));
        halved++;
      } else {
        packed.set(name, t);
      }
    }
    // The source's checksum describes the source; the packed file gets its own (verified by every load).
    const { [CHECKSUM_KEY]: _sourceDigest, ...kept } = metadata;
    saveSafetensors(out, packed, { ...kept, dtype, packed_from: basename(weights) }, { checksum: true });
  } finally {
    for (const t of new Set([...tensors.values(), ...packed.values()])) t.dispose();
  }
  return { source: weights, out, dtype, bytes: statSync(out).size, tensors: packed.size, halved };
}

/** float16 copy of a float32 tensor; refuses values beyond float16's range (±65504) rather than writing Inf. */
function toHalf(name: string, t: Tensor, file: string): Tensor {
  return noGrad(() => tidy(() => {
    const h = t.to({ dtype: "float16" });
    if (!h.isfinite().all().item() && t.isfinite().all().item()) {
      throw new Error(`${file}: tensor "${name}" has values beyond float16's range; pack it with --dtype float32`);
    }
    return h.keep();
  }));
}
