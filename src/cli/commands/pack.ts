// `cardioseg pack MODEL --out FILE` — a run's best (else last) weights as one weights-only
// safetensors file to ship or share, float16 by default (src/train/pack.ts); every command that
// takes --model (and train --init) reads it, back in float32.
import type { Command } from "commander";

interface PackFlags { out: string; dtype: string }

/** The shipped model's size limit (issue 10): a packed file above it gets a warning. */
const SHIP_LIMIT_BYTES = 30e6;

export function registerPack(program: Command): void {
  program
    .command("pack")
    .description("write a run's best weights as one weights-only .safetensors file (float16 by default) to ship or share")
    .argument("<model>", "run folder (best, else last weights) or a .safetensors checkpoint")
    .requiredOption("--out <file>", "output .safetensors file, e.g. models/acdc-deeplabv3plus.safetensors")
    .option("--dtype <dtype>", "float16 (half the size; BatchNorm statistics stay float32) or float32", "float16")
    .action(async (model: string, flags: PackFlags) => {
      if (flags.dtype !== "float16" && flags.dtype !== "float32") throw new Error(`--dtype must be float16 or float32, got ${flags.dtype}`);
      if (!flags.out.endsWith(".safetensors")) throw new Error(`--out must name a .safetensors file, got ${flags.out}`);
      const { packWeights } = await import("../../train/pack.js");
      const r = packWeights(model, flags.out, flags.dtype);
      console.log(`${r.out}: ${(r.bytes / 1e6).toFixed(1)} MB, ${r.tensors} tensors (${r.halved} in float16) from ${r.source}`);
      if (r.bytes > SHIP_LIMIT_BYTES) console.log(`note: above the ${SHIP_LIMIT_BYTES / 1e6} MB the repository ships under models/`);
    });
}
