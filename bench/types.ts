// bench/ — `npm run bench`: engine (and later model) benchmarks, each timed through cardioseg and
// through Python PyTorch in the same run. types.ts owns what a benchmark module provides.

/** A prepared workload; step() runs one timed iteration and must free what it allocates. */
export interface BenchInstance {
  /** Asynchronous for engines whose runtime is (onnxruntime-node); the await is inside the timing. */
  step(): void | Promise<void>;
  dispose(): void;
}

export interface Benchmark {
  /** Also the key bench/pytorch_bench.py knows the PyTorch counterpart by. */
  name: string;
  description: string;
  /** Timed iterations per round (each side runs this many per round). */
  iterations: number;
  /** Untimed iterations before the first round. */
  warmup: number;
  /** Operations per step(): reported times are per operation (e.g. 1000 adds per step). */
  opsPerStep?: number;
  setup(): BenchInstance | Promise<BenchInstance>;
}
