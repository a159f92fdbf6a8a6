// memory.ts: the memory benchmark — a small conv net trained for N steps must keep a flat RSS
// (growth < 50 MB after step 50) and a constant number of live tensors. Also used by
// test/nn/memory.test.ts with fewer steps.
import { memoryStats, randint, randn, tidy } from "../src/tensor/index.js";
import * as F from "../src/tensor/functional.js";
import * as nn from "../src/nn/index.js";
import { SGD } from "../src/optim/index.js";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full V8 collection, also when node was not started with --expose-gc: RSS includes the JS heap,
 * and without collecting it first, per-step wrapper objects read as a (native) leak.
 */
export function collectGarbage(): void {
  if (typeof global.gc === "function") return global.gc();
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

export interface MemoryReport {
  steps: number;
  rssAfterWarmupMB: number;
  rssEndMB: number;
  rssGrowthMB: number;
  liveTensorsAfterWarmup: number;
  liveTensorsEnd: number;
  msPerStep: number;
}

export function smallConvNet(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.ReLU(),
    new nn.Conv2d(8, 16, 3, { padding: 2, dilation: 2, bias: false }), new nn.BatchNorm2d(16), new nn.ReLU(),
    new nn.Dropout2d(0.1),
    new nn.Conv2d(16, 4, 1),
  );
}

/** Train smallConvNet for `steps` steps on random data; measure from step `warmup` on. */
export function trainLoopMemory(steps: number, warmup = 50): MemoryReport {
  const model = smallConvNet().train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  let rssWarm = 0;
  let liveWarm = 0;
  let tWarm = 0;
  for (let step = 1; step <= steps; step++) {
    tidy(() => {
      const x = randn([4, 1, 32, 32]);
      const y = randint(0, 4, [4, 32, 32]);
      const loss = F.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    if (step === warmup) {
      collectGarbage();
      rssWarm = process.memoryUsage().rss;
      liveWarm = memoryStats().liveTensors;
      tWarm = performance.now();
    }
  }
  const msPerStep = (performance.now() - tWarm) / Math.max(1, steps - warmup);
  collectGarbage();
  const rssEnd = process.memoryUsage().rss;
  const liveEnd = memoryStats().liveTensors;
  opt.disposeState();
  model.dispose();
  const mb = (b: number): number => b / (1024 * 1024);
  return {
    steps, rssAfterWarmupMB: mb(rssWarm), rssEndMB: mb(rssEnd), rssGrowthMB: mb(rssEnd - rssWarm),
    liveTensorsAfterWarmup: liveWarm, liveTensorsEnd: liveEnd, msPerStep,
  };
}
