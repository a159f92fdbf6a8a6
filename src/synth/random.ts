// src/synth — the synthetic cardiac cine MRI phantom: an ACDC-like data set generated from a seed,
// so the demo and the tests have realistic scans on a machine without any download.
// random.ts owns the phantom's randomness: every random choice goes through one seeded Random
// (src/util/random.ts) so that one seed always yields byte-identical cases on every platform.

import { Random, deriveSeed, inverseNormal, standardNormalTable } from "../util/random.js";

// The generator and the standard-normal table are the project's (src/util/random.ts); the phantom
// adds a sampler that fills a whole noise image from them.
export { Random, deriveSeed, inverseNormal };

/** Fills `out` with standard-normal noise from `rng` (two values per 32-bit draw). */
export function fillNormal(rng: Random, out: Float32Array): void {
  const table = standardNormalTable();
  for (let i = 0; i < out.length; i += 2) {
    const bits = rng.nextUint32();
    out[i] = table[bits & 0xffff];
    if (i + 1 < out.length) out[i + 1] = table[bits >>> 16];
  }
}
