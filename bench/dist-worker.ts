// dist-worker.ts: one process of the distributed bench (bench/distributed.ts starts it alone, or
// as N workers through `train --nproc`'s launcher). It times the acdc-cpu training step as the
// trainer runs it — loader gathering on the timed thread, batched augmentation, DeepLab v3+ R18
// OS16 forward/backward, Dice + CE (global batch Dice when distributed), DDP's gradient
// averaging, AdamW — and, in a distributed run, the time the step waited for the gradient
// allreduces after backward, and one allreduce of the whole gradient on its own.
// Usage: node dist/bench/dist-worker.js OUT.json ITERATIONS WARMUP GLOBAL_BATCH [overlap|after]
import { writeFileSync } from "node:fs";
import { DistributedContext, DistributedDataParallel, allreduceSumWithGrad, readDistEnv } from "../src/distributed/index.js";
import { getNumThreads, tidy, zerosLike, type Tensor } from "../src/tensor/index.js";
import { batchTensors } from "../src/train/augment.js";
import { buildTrainingData } from "../src/train/data.js";
import { segmentationLoss } from "../src/train/losses.js";
import { applyTrainingThreads, buildTrainingModel } from "../src/train/model-setup.js";
import { benchConfig } from "./acdc-train.js";

export interface DistWorkerResult {
  worldSize: number;
  threads: number;
  batchPerProcess: number;
  overlap: boolean | null;
  /** Median milliseconds of one training step (rank 0's clock). */
  stepMs: number;
  /** Median milliseconds finishGradientSync waited for allreduces after backward (distributed only). */
  allreduceWaitMs: number | null;
  /** Median milliseconds of one allreduce of the whole gradient, nothing else running (distributed only). */
  allreduceAloneMs: number | null;
  gradientMB: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const [out, itersArg, warmupArg, globalArg, mode] = process.argv.slice(2);
  const env = readDistEnv();
  const world = env?.worldSize ?? 1;
  const globalBatch = Number(globalArg);
  const cfg = benchConfig([`train.batchSize=${globalBatch / world}`, `distributed.overlap=${mode !== "after"}`]);
  const dist = env ? DistributedContext.init(env, { device: "cpu", timeoutMs: 600_000 }) : null;
  applyTrainingThreads(cfg, env?.localWorldSize ?? 1);
  const data = buildTrainingData(cfg, () => undefined, dist ? { rank: dist.rank, worldSize: dist.worldSize } : undefined);
  const { model, opt } = buildTrainingModel(cfg, dist?.rank ?? 0);
  const ddp = dist ? new DistributedDataParallel(model, dist, { overlap: cfg.distributed.overlap }) : null;
  const batchSum = dist ? (t: Tensor) => allreduceSumWithGrad(dist.group, t) : undefined;
  const steps: number[] = [], waits: number[] = [];
  const total = Number(warmupArg) + Number(itersArg);
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    opt.optimizer.zeroGrad();
    const batch = data.train.nextSync();
    ddp?.prepareForward(true);
    tidy(() => {
      const { images, labels } = batchTensors(batch, "cpu", cfg.model.numClasses);
      segmentationLoss(model.forward(images).out, labels, cfg.loss, undefined, batchSum).backward();
    });
    ddp?.finishGradientSync();
    opt.optimizer.step();
    const waited = ddp ? ddp.takeWaitSeconds() * 1000 : 0;
    if (i >= Number(warmupArg)) { steps.push(performance.now() - t0); waits.push(waited); }
  }
  const params = model.parameters();
  let alone: number | null = null;
  if (dist) {
    const grads = params.map((p) => zerosLike(p));
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      dist.barrier();
      const t0 = performance.now();
      dist.wait("allreduce alone", dist.group.allreduceCoalesced(grads));
      times.push(performance.now() - t0);
    }
    alone = median(times);
    for (const g of grads) g.dispose();
  }
  const result: DistWorkerResult = {
    worldSize: world, threads: getNumThreads(), batchPerProcess: globalBatch / world, overlap: ddp ? ddp.overlap : null,
    stepMs: median(steps), allreduceWaitMs: ddp ? median(waits) : null, allreduceAloneMs: alone,
    gradientMB: params.reduce((n, p) => n + p.numel() * 4, 0) / 2 ** 20,
  };
  if (!dist || dist.isMain) writeFileSync(out, JSON.stringify(result));
  ddp?.dispose();
  await data.train.close();
  dist?.destroy();
}

main().catch((err: unknown) => {
  console.error(`dist-worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
