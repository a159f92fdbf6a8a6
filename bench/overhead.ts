// overhead.ts: benchmark (c) — per-op overhead of adding two 1-element tensors (JS -> addon ->
// libtorch dispatch -> a new tensor handle, freed again), reported per operation.
import { ones } from "../src/tensor/index.js";
import type { Benchmark } from "./types.js";

const OPS = 1000;

export const addOverheadBenchmark: Benchmark = {
  name: "add_1elem_overhead",
  description: "add of two 1-element tensors, per op",
  iterations: 20,
  warmup: 3,
  opsPerStep: OPS,
  setup() {
    const a = ones([1]);
    const b = ones([1]);
    return {
      step() {
        for (let i = 0; i < OPS; i++) a.add(b).dispose();
      },
      dispose() {
        a.dispose();
        b.dispose();
      },
    };
  },
};
