// deeplab.ts: the model benchmarks — one SGD training step of DeepLabV3-ResNet50 (output stride 8,
// 2 classes, batch 2, 256x256, cross-entropy) and one eval-mode forward, each against torchvision's
// deeplabv3_resnet50 in bench/deeplab_bench.py. A step takes seconds on 2 cores, so few iterations.
// The training step runs channels-last, as `cardioseg train` does (config channelsLast, default true);
// the PyTorch side runs as torchvision's reference does, NCHW (with channels_last it ran 3.0-3.3 s per
// step here on 2026-12-02, against 3.2-3.5 s NCHW).
// `node dist/bench/deeplab.js --memory N` instead runs N training steps and prints peak RSS and RSS
// after each step (compare: `/usr/bin/python3 bench/deeplab_bench.py --memory N`).
import { fileURLToPath } from "node:url";
import { F, noGrad, randint, randn, setNumThreads, tidy, type Tensor } from "../src/tensor/index.js";
import { SGD } from "../src/optim/index.js";
import { DeepLabV3, deeplabv3Resnet } from "../src/models/index.js";
import type { Benchmark, BenchInstance } from "./types.js";

const SIZE = 256, BATCH = 2, CLASSES = 2;

function trainStepInstance(): BenchInstance & { model: DeepLabV3 } {
  const model = deeplabv3Resnet(50, CLASSES).train().to({ memoryFormat: "channelsLast" });
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const x = tidy(() => randn([BATCH, 3, SIZE, SIZE]).contiguous("channelsLast")).keep();
  const y = randint(0, CLASSES, [BATCH, SIZE, SIZE]).keep();
  return {
    model,
    step() {
      opt.zeroGrad();
      tidy(() => F.crossEntropy(model.forward(x).out, y).backward());
      opt.step();
    },
    dispose() {
      opt.disposeState();
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

export const deeplabTrainBenchmark: Benchmark = {
  name: "deeplabv3_resnet50_os8_train_step",
  description: "DeepLabV3-ResNet50 OS8, 2 classes, batch 2, 256x256: SGD train step (CE), ours NHWC",
  iterations: 2,
  warmup: 1,
  setup: trainStepInstance,
};

export const deeplabInferBenchmark: Benchmark = {
  name: "deeplabv3_resnet50_os8_infer",
  description: "DeepLabV3-ResNet50 OS8, 2 classes, batch 2, 256x256: eval forward",
  iterations: 3,
  warmup: 1,
  setup() {
    const model = deeplabv3Resnet(50, CLASSES).eval();
    const x: Tensor = randn([BATCH, 3, SIZE, SIZE]).keep();
    return {
      step() {
        noGrad(() => tidy(() => model.forward(x).out.sum().item()));
      },
      dispose() {
        model.dispose();
        x.dispose();
      },
    };
  },
};

function rssMB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/** N training steps; prints RSS after each and the peak (maxRSS). */
function memoryRun(steps: number): void {
  const inst = trainStepInstance();
  const rss: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    inst.step();
    rss.push(rssMB());
    console.log(`step ${i + 1}: ${(performance.now() - t0).toFixed(0)} ms, RSS ${rss[i].toFixed(0)} MB`);
  }
  console.log(JSON.stringify({ side: "cardioseg", steps, rss_after_mb: rss[rss.length - 1], peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
  inst.dispose();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--memory");
  const t = process.argv.indexOf("--threads");
  if (t > 0) setNumThreads(Number(process.argv[t + 1]));
  memoryRun(i > 0 ? Number(process.argv[i + 1]) : 5);
}
