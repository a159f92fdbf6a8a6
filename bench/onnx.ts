// onnx.ts: the inference engines side by side — cardioseg on libtorch (BatchNorm folded, as the
// volume predictor runs it), cardioseg's ONNX export on onnxruntime-node (BatchNorm folded by the
// exporter, every graph optimisation on, the bench's thread count) and PyTorch eager (eval,
// no_grad; bench/onnx_bench.py) — for the acdc-cpu model (DeepLab v3+ ResNet-18 OS16, 1 channel,
// 4 classes, ASPP 128) and torchvision's DeepLabV3-ResNet50 (OS8, 3 channels, 21 classes), at
// 256x256, batch 1 and 8; and bench/predict.ts's whole-frame prediction with the ONNX Runtime engine
// behind the volume predictor. Weights are random (speed does not depend on them). Each workload is
// two benchmarks, NAME (libtorch) and NAME_onnxruntime, both timed against the same PyTorch
// workload; engineTable() prints the three side by side.
import { join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { DeepLabV3, deeplabv3Resnet, type ModelConfig } from "../src/models/index.js";
import { foldBatchNorm_ } from "../src/nn/index.js";
import { getNumThreads, manualSeed, randn, tidy, type Tensor } from "../src/tensor/index.js";
import { TorchEngine } from "../src/infer/engine.js";
import { loadConfigFile, resolveConfig } from "../src/train/config.js";
import { Predictor } from "../src/infer/predictor.js";
import { OnnxEngine } from "../src/onnx/runtime.js";
import { exportMetadata } from "../src/onnx/metadata.js";
import { benchVolume } from "./predict.js";
import { modelToOnnx } from "../src/onnx/export.js";
import { projectRoot } from "../src/util/project.js";
import type { Benchmark, BenchInstance } from "./types.js";

const SIZE = 256;

interface Workload { key: string; label: string; build: () => DeepLabV3; batch: number; iterations: number }

function acdcCpuModel(): DeepLabV3 {
  const config: ModelConfig = loadConfigFile(join(projectRoot(), "configs", "acdc-cpu.yaml")).model;
  return new DeepLabV3(config);
}

const WORKLOADS: Workload[] = [
  { key: "acdc_cpu_infer_b1", label: "acdc-cpu (v3+ R18 OS16), 1x1x256x256", build: acdcCpuModel, batch: 1, iterations: 5 },
  { key: "acdc_cpu_infer_b8", label: "acdc-cpu (v3+ R18 OS16), 8x1x256x256", build: acdcCpuModel, batch: 8, iterations: 2 },
  { key: "deeplabv3_resnet50_infer_b1", label: "DeepLabV3-R50 OS8 21 cls, 1x3x256x256", build: () => deeplabv3Resnet(50, 21), batch: 1, iterations: 3 },
  { key: "deeplabv3_resnet50_infer_b8", label: "DeepLabV3-R50 OS8 21 cls, 8x3x256x256", build: () => deeplabv3Resnet(50, 21), batch: 8, iterations: 1 },
];

function input(model: DeepLabV3, batch: number): Tensor {
  return randn([batch, model.config.inChannels, SIZE, SIZE]).keep();
}

function libtorchBenchmark(w: Workload): Benchmark {
  return {
    name: w.key, description: `${w.label}: eval forward, cardioseg libtorch (BN folded)`, iterations: w.iterations, warmup: 1,
    setup(): BenchInstance {
      const engine = new TorchEngine(w.build()); // what the volume predictor runs: eval, BatchNorm folded
      const x = input(engine.model, w.batch);
      return {
        step() { tidy(() => engine.logits(x).sum().item()); },
        dispose() { engine.dispose(); x.dispose(); },
      };
    },
  };
}

function onnxruntimeBenchmark(w: Workload): Benchmark {
  return {
    name: `${w.key}_onnxruntime`, description: `${w.label}: eval forward, cardioseg export on onnxruntime-node`, iterations: w.iterations, warmup: 1,
    async setup(): Promise<BenchInstance> {
      const ort = await import("onnxruntime-node");
      const model = w.build().eval();
      foldBatchNorm_(model);
      const bytes = modelToOnnx(model, { dynamic: true });
      const channels = model.config.inChannels;
      const x = tidy(() => randn([w.batch, channels, SIZE, SIZE]).toFloat32Array());
      model.dispose();
      const session: InferenceSession = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: "all", intraOpNumThreads: getNumThreads(), executionProviders: ["cpu"],
      });
      const feed = { image: new ort.Tensor("float32", x, [w.batch, channels, SIZE, SIZE]) };
      return {
        async step() { await session.run(feed); },
        dispose() { void session.release(); },
      };
    },
  };
}

/** bench/predict.ts's whole-frame prediction with the ONNX Runtime engine behind the same volume predictor. */
const volumePredictOnnxruntime: Benchmark = {
  name: "acdc_cpu_volume_predict_onnxruntime",
  description: "acdc-cpu net (v3+ R18 OS16), one ACDC frame: volume predict on onnxruntime-node vs PyTorch slice by slice",
  iterations: 2,
  warmup: 1,
  async setup(): Promise<BenchInstance> {
    const config = resolveConfig(loadConfigFile(join(projectRoot(), "configs", "acdc-cpu.yaml")));
    manualSeed(0);
    const model = new DeepLabV3(config.model).eval();
    foldBatchNorm_(model);
    const metadata = exportMetadata(config, { cardiosegVersion: "bench", weights: "random", iteration: null, foldBatchNorm: true, opset: 17, dynamic: true });
    const bytes = modelToOnnx(model, { dynamic: true, metadata });
    model.dispose();
    const engine = await OnnxEngine.fromBytes(bytes, "acdc-cpu (random weights)", { threads: getNumThreads() });
    const predictor = new Predictor(engine, config, "random weights");
    const { volume } = benchVolume();
    return {
      async step() { await predictor.predictVolumeAsync(volume); },
      dispose() { predictor.dispose(); },
    };
  },
};

export const ENGINE_BENCHMARKS: Benchmark[] = [
  ...WORKLOADS.flatMap((w) => [libtorchBenchmark(w), onnxruntimeBenchmark(w)]), volumePredictOnnxruntime,
];

export interface EngineResult { name: string; ours_ms: number; pytorch_ms: number | null }

/** The workloads measured both ways, as one table: ms per forward and the ratios between engines. */
export function engineTable(results: readonly EngineResult[]): string[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  const rows: string[] = [];
  const pairs = [...WORKLOADS, { key: "acdc_cpu_volume_predict", label: "acdc-cpu, one ACDC frame, volume predict" }];
  for (const w of pairs) {
    const lt = byName.get(w.key), ort = byName.get(`${w.key}_onnxruntime`);
    if (!lt || !ort) continue;
    // Each engine's ratio is against the PyTorch rounds that alternated with it; the column shows their mean.
    const pts = [lt.pytorch_ms, ort.pytorch_ms].filter((v): v is number => v !== null);
    const pt = pts.length > 0 ? pts.reduce((a, b) => a + b, 0) / pts.length : null;
    const r = (a: number | null, b: number | null): string => (a !== null && b !== null ? (a / b).toFixed(2) : "-");
    const ms = (v: number | null): string => (v === null ? "-" : v.toFixed(0));
    rows.push(`${w.label.padEnd(42)} ${ms(lt.ours_ms).padStart(9)} ${ms(ort.ours_ms).padStart(9)} ${ms(pt).padStart(9)}` +
      `  ${r(lt.pytorch_ms, lt.ours_ms).padStart(8)} ${r(ort.pytorch_ms, ort.ours_ms).padStart(8)} ${r(lt.ours_ms, ort.ours_ms).padStart(8)}`);
  }
  if (rows.length === 0) return [];
  return [
    "inference engines, ms per forward or per volume (median); ratio a/b = time of a / time of b, above 1: b is faster",
    `${"workload".padEnd(42)} ${"libtorch".padStart(9)} ${"onnxrt".padStart(9)} ${"pytorch".padStart(9)}  ${"pt/lt".padStart(8)} ${"pt/ort".padStart(8)} ${"lt/ort".padStart(8)}`,
    ...rows,
  ];
}
