// main.ts: `npm run bench [-- --json FILE] [--only a,b] [--rounds N] [--threads N] [--no-pytorch]
// [--skip-memory] [--memory-steps N] [--skip-train] [--train-iterations N]
// [--skip-distributed] [--distributed-iterations N]`. For each
// registered benchmark, cardioseg and PyTorch run alternating rounds with the same thread count;
// medians of the per-iteration times are compared as ratio = pytorch_ms / ours_ms (above 1 means
// cardioseg is faster). Then the memory benchmark, then `cardioseg train` itself (it/s), then the
// acdc-cpu step on 2 processes x 1 thread against 1 process x 2 threads (bench/distributed.ts).
import { parseArgs } from "node:util";
import { getNumThreads, setNumThreads } from "../src/tensor/index.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { percentile } from "../src/util/stats.js";
import { BENCHMARKS } from "./registry.js";
import { PyTorchSide } from "./pytorch.js";
import { trainLoopMemory, type MemoryReport } from "./memory.js";
import { trainItsPerSecond, type TrainSpeedReport } from "./acdc-train.js";
import type { Benchmark } from "./types.js";
import { engineTable } from "./onnx.js";
import { distributedBench, distributedLines, type DistributedBenchReport } from "./distributed.js";

interface Result { name: string; ours_ms: number; pytorch_ms: number | null; ratio: number | null; note?: string }

async function timeOurs(step: () => void | Promise<void>, iters: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await step();
    out.push(performance.now() - t0);
  }
  return out;
}

async function runOne(b: Benchmark, rounds: number, torch: PyTorchSide | null): Promise<Result> {
  const inst = await b.setup();
  const ours: number[] = [];
  const theirs: number[] = [];
  let note: string | undefined;
  try {
    await timeOurs(() => inst.step(), b.warmup);
    let torchOk = torch !== null;
    if (torch) {
      const warm = await torch.run(b.name, b.warmup);
      if (typeof warm === "string") { torchOk = false; note = warm; }
    }
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first so slow drifts (thermal, other load) hit both equally.
      const oursFirst = r % 2 === 0;
      if (oursFirst) ours.push(...await timeOurs(() => inst.step(), b.iterations));
      if (torch && torchOk) {
        const t = await torch.run(b.name, b.iterations);
        if (typeof t === "string") { torchOk = false; note = t; } else theirs.push(...t);
      }
      if (!oursFirst) ours.push(...await timeOurs(() => inst.step(), b.iterations));
    }
  } finally {
    inst.dispose();
  }
  const per = b.opsPerStep ?? 1;
  const oursMs = percentile(ours, 50) / per;
  const pytorchMs = theirs.length > 0 ? percentile(theirs, 50) / per : null;
  return { name: b.name, ours_ms: oursMs, pytorch_ms: pytorchMs, ratio: pytorchMs === null ? null : pytorchMs / oursMs, note };
}

function fmt(ms: number | null, perOp: boolean): string {
  if (ms === null) return "-";
  return perOp ? `${(ms * 1000).toFixed(2)} µs` : `${ms.toFixed(2)} ms`;
}

function printResult(b: Benchmark, r: Result): void {
  const perOp = (b.opsPerStep ?? 1) > 1;
  const ratio = r.ratio === null ? "n/a" : r.ratio.toFixed(2);
  console.log(`${b.description.padEnd(72)} ours ${fmt(r.ours_ms, perOp).padStart(11)}  pytorch ${fmt(r.pytorch_ms, perOp).padStart(11)}  ratio ${ratio}${r.note ? `  (${r.note})` : ""}`);
}

function printMemory(m: MemoryReport): void {
  console.log(`memory: ${m.steps}-step small conv-net training loop: RSS ${m.rssAfterWarmupMB.toFixed(1)} MB after step 50 -> ${m.rssEndMB.toFixed(1)} MB at the end (growth ${m.rssGrowthMB.toFixed(1)} MB, limit 50); live tensors ${m.liveTensorsAfterWarmup} -> ${m.liveTensorsEnd}; ${m.msPerStep.toFixed(2)} ms/step`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      only: { type: "string" },
      rounds: { type: "string", default: "5" },
      threads: { type: "string" },
      "no-pytorch": { type: "boolean", default: false },
      "skip-memory": { type: "boolean", default: false },
      "memory-steps": { type: "string", default: "1000" },
      "skip-train": { type: "boolean", default: false },
      "train-iterations": { type: "string", default: "100" },
      "skip-distributed": { type: "boolean", default: false },
      "distributed-iterations": { type: "string", default: "10" },
    },
  });
  if (values.threads) setNumThreads(Number(values.threads));
  const threads = getNumThreads();
  const only = values.only ? new Set(values.only.split(",")) : null;
  const selected = BENCHMARKS.filter((b) => !only || only.has(b.name));
  let torch: PyTorchSide | null = null;
  if (!values["no-pytorch"]) {
    const started = await PyTorchSide.start(threads);
    if (typeof started === "string") console.log(started);
    else torch = started;
  }
  console.log(`cardioseg bench: ${threads} threads on both sides${torch ? `, PyTorch ${torch.version}` : ""}, ${values.rounds} alternating rounds, medians`);
  console.log(`OpenMP wait policy, both sides: ${process.env.OMP_WAIT_POLICY || "libgomp's default"}`);
  const results: Result[] = [];
  try {
    for (const b of selected) {
      const r = await runOne(b, Number(values.rounds), torch);
      printResult(b, r);
      results.push(r);
    }
  } finally {
    torch?.close();
  }
  for (const line of engineTable(results)) console.log(line);
  let memory: MemoryReport | undefined;
  if (!values["skip-memory"]) {
    memory = trainLoopMemory(Number(values["memory-steps"]));
    printMemory(memory);
  }
  let train: TrainSpeedReport | undefined;
  if (!values["skip-train"]) {
    train = trainItsPerSecond(Number(values["train-iterations"]));
    console.log(`${train.command}: ${train.itPerS.toFixed(3)} it/s (training loop, from metrics.jsonl; whole command ${train.wallS.toFixed(0)} s)`);
  }
  let distributed: DistributedBenchReport | undefined;
  if (!values["skip-distributed"]) {
    distributed = await distributedBench(Number(values["distributed-iterations"]));
    for (const line of distributedLines(distributed)) console.log(line);
  }
  if (values.json) {
    const benchmarks = results.map(({ name, ours_ms, pytorch_ms, ratio }) => ({ name, ours_ms, pytorch_ms, ratio }));
    writeFileAtomic(values.json, `${JSON.stringify({ threads, benchmarks, memory, train, distributed }, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
