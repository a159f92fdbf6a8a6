// distributed.ts: the acdc-cpu training step spread over processes, for `npm run bench`: the same
// global batch (8) on 1 process x 2 threads and on 2 processes x 1 thread (2 x 4 samples, DDP
// with its gradient buckets started during backward, and with every allreduce after backward),
// plus the time a step waits for the gradient allreduce and one allreduce of the whole gradient
// alone. Each configuration is a bench/dist-worker.ts run (through `train --nproc`'s launcher for 2).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { launchLocalWorkers } from "../src/distributed/launch.js";
import { projectRoot } from "../src/util/project.js";
import type { DistWorkerResult } from "./dist-worker.js";

const WORKER = join(projectRoot(), "dist", "bench", "dist-worker.js");

export interface DistributedBenchReport {
  globalBatch: number;
  oneProcess: DistWorkerResult;
  twoProcesses: DistWorkerResult;
  twoProcessesAfterBackward: DistWorkerResult;
  /** Step time of 1 x 2 threads / 2 x 1 thread (above 1: the 2 processes are faster). */
  ratio: number;
}

async function runWorkers(nproc: number, iterations: number, warmup: number, mode: string): Promise<DistWorkerResult> {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-bench-dist-"));
  const out = join(dir, "result.json");
  const args = [WORKER, out, String(iterations), String(warmup), "8", mode];
  try {
    if (nproc === 1) {
      const r = spawnSync(process.execPath, args, { env: { ...process.env, CARDIOSEG_THREADS: "2" }, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`bench worker failed (${r.status ?? r.signal})`);
    } else {
      const saved = process.env.CARDIOSEG_THREADS;
      process.env.CARDIOSEG_THREADS = "1";
      try {
        const status = await launchLocalWorkers({ nproc, args, log: () => undefined });
        if (status !== 0) throw new Error(`bench workers failed (${status})`);
      } finally {
        if (saved === undefined) delete process.env.CARDIOSEG_THREADS; else process.env.CARDIOSEG_THREADS = saved;
      }
    }
    return JSON.parse(readFileSync(out, "utf8")) as DistWorkerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function distributedBench(iterations: number, warmup = 2): Promise<DistributedBenchReport> {
  const oneProcess = await runWorkers(1, iterations, warmup, "overlap");
  const twoProcesses = await runWorkers(2, iterations, warmup, "overlap");
  const twoProcessesAfterBackward = await runWorkers(2, iterations, warmup, "after");
  return { globalBatch: 8, oneProcess, twoProcesses, twoProcessesAfterBackward, ratio: oneProcess.stepMs / twoProcesses.stepMs };
}

export function distributedLines(r: DistributedBenchReport): string[] {
  const ms = (x: number | null): string => (x === null ? "n/a" : `${x.toFixed(1)} ms`);
  const two = r.twoProcesses, after = r.twoProcessesAfterBackward;
  return [
    `acdc-cpu step, global batch ${r.globalBatch}: 1 process x ${r.oneProcess.threads} threads ${ms(r.oneProcess.stepMs)}; `
      + `2 processes x ${two.threads} thread ${ms(two.stepMs)} (ratio ${r.ratio.toFixed(2)}, above 1: 2 processes faster)`,
    `  gradient ${two.gradientMB.toFixed(1)} MiB: allreduce alone ${ms(two.allreduceAloneMs)}; per step, waited after backward `
      + `${ms(two.allreduceWaitMs)} with buckets started during backward, ${ms(after.allreduceWaitMs)} with all after backward `
      + `(step ${ms(after.stepMs)})`,
  ];
}
