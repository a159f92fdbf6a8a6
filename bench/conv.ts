// conv.ts: benchmark (a) — conv2d 3x3 forward + backward, batch 2, 128->128 channels, 64x64.
import { randn, tidy, zeros } from "../src/tensor/index.js";
import * as F from "../src/tensor/functional.js";
import type { Benchmark } from "./types.js";

export const conv3x3Benchmark: Benchmark = {
  name: "conv2d_3x3_128ch_64px_fwd_bwd",
  description: "conv2d 3x3, batch 2, 128->128 ch, 64x64, forward+backward",
  iterations: 5,
  warmup: 2,
  setup() {
    const x = randn([2, 128, 64, 64], { requiresGrad: true });
    const w = tidy(() => randn([128, 128, 3, 3]).mul(0.03));
    w.requiresGrad = true;
    const b = zeros([128], { requiresGrad: true });
    const g = randn([2, 128, 64, 64]);
    return {
      step() {
        tidy(() => F.conv2d(x, w, b, { padding: 1 }).backward(g));
        for (const t of [x, w, b]) t.zeroGrad();
      },
      dispose() {
        for (const t of [x, w, b, g]) t.dispose();
      },
    };
  },
};
