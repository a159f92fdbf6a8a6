// predict.ts: whole-volume prediction of one ACDC frame as users feel it — raw voxels in memory to
// the uint8 label map — with the acdc-cpu architecture (DeepLab v3+ ResNet-18 OS16, ASPP 128,
// random weights: the timing does not depend on them). Ours is the volume predictor
// (src/infer/predictor.ts: batched slices, BatchNorm folded, pre/post-processing on libtorch);
// PyTorch's (bench/predict_bench.py) is what a PyTorch user writes: slice by slice at batch 1,
// numpy normalisation, F.interpolate, the eager model, argmax.
// The frame is $CARDIOSEG_BENCH_VOLUME, else ../shared/data/acdc/training/patient001/patient001_frame01.nii.gz,
// else a synthetic volume of that frame's size (256 x 216 x 10 at 1.5625 x 1.5625 x 10 mm); both
// sides apply the same rule.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { manualSeed } from "../src/tensor/index.js";
import { DeepLabV3 } from "../src/models/index.js";
import { loadConfigFile, resolveConfig } from "../src/train/config.js";
import { Predictor } from "../src/infer/predictor.js";
import { TorchEngine, type ConvolutionKernels, type InferencePrecision } from "../src/infer/engine.js";
import { readNifti } from "../src/io/nifti/index.js";
import { diagonalAffine, type ImageVolume } from "../src/io/image.js";
import { projectRoot } from "../src/util/project.js";
import type { Benchmark, BenchInstance } from "./types.js";

const ACDC_FRAME = join("..", "shared", "data", "acdc", "training", "patient001", "patient001_frame01.nii.gz");
const SYNTHETIC = { dims: [256, 216, 10], spacing: [1.5625, 1.5625, 10] };

/** The benchmark's frame and where it came from. */
export function benchVolume(): { volume: ImageVolume; source: string } {
  const path = process.env["CARDIOSEG_BENCH_VOLUME"] || join(projectRoot(), ACDC_FRAME);
  if (existsSync(path)) return { volume: readNifti(path), source: path };
  // A smooth ramp with a bright disc: realistic sizes are what matter for timing.
  const [nx, ny, nz] = SYNTHETIC.dims;
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const disc = (i - nx / 2) ** 2 + (j - ny / 2) ** 2 < 900 ? 300 : 0;
        data[(k * ny + j) * nx + i] = 100 + i * 0.5 + j * 0.3 + k + disc;
      }
    }
  }
  return { volume: { data, dims: SYNTHETIC.dims, spacing: SYNTHETIC.spacing, affine: diagonalAffine(SYNTHETIC.spacing), meta: {} }, source: "synthetic" };
}

function volumePredictInstance(precision: InferencePrecision, convolutions?: ConvolutionKernels): BenchInstance {
  const config = resolveConfig(loadConfigFile(join(projectRoot(), "configs", "acdc-cpu.yaml")));
  manualSeed(0);
  const engine = new TorchEngine(new DeepLabV3(config.model), "cpu", precision, { convolutions });
  const predictor = new Predictor(engine, config, "random weights");
  const { volume } = benchVolume();
  return {
    step() {
      predictor.predictVolume(volume);
    },
    dispose() {
      predictor.dispose();
    },
  };
}

/** A volume benchmark: two timed volumes per round after one untimed. */
function volumeBenchmark(name: string, description: string, setup: () => BenchInstance): Benchmark {
  return { name, description, iterations: 2, warmup: 1, setup };
}

export const acdcVolumePredictBenchmark = volumeBenchmark("acdc_cpu_volume_predict",
  "acdc-cpu net (v3+ R18 OS16), one ACDC frame: volume predict vs PyTorch slice by slice (float32, "
    + "default --convolutions winograd)", () => volumePredictInstance("float32"));

export const acdcVolumePredictBf16Benchmark = volumeBenchmark("acdc_cpu_volume_predict_bf16",
  "the same, ours with --precision bfloat16 (PyTorch float32)", () => volumePredictInstance("bfloat16"));

export const acdcVolumePredictLibtorchConvBenchmark = volumeBenchmark("acdc_cpu_volume_predict_libtorch_conv",
  "the same, ours with --convolutions libtorch (at::conv2d, as before the oneDNN packing)",
  () => volumePredictInstance("float32", "libtorch"));

/** A new engine (model built, folded, packed) for every volume: one scan in a fresh process, start-up aside. */
function freshEngineInstance(convolutions: ConvolutionKernels): BenchInstance {
  const config = resolveConfig(loadConfigFile(join(projectRoot(), "configs", "acdc-cpu.yaml")));
  const { volume } = benchVolume();
  return {
    step() {
      manualSeed(0);
      const engine = new TorchEngine(new DeepLabV3(config.model), "cpu", "float32", { convolutions });
      const predictor = new Predictor(engine, config, "random weights");
      try {
        predictor.predictVolume(volume);
      } finally {
        predictor.dispose();
      }
    },
    dispose() {},
  };
}

export const acdcVolumePredictFreshModelBenchmark = volumeBenchmark("acdc_cpu_volume_predict_fresh_model",
  "the same, a new model for every volume on both sides (ours: built, folded, packed for oneDNN)",
  () => freshEngineInstance("winograd"));

export const acdcVolumePredictFreshModelLibtorchConvBenchmark = volumeBenchmark(
  "acdc_cpu_volume_predict_fresh_model_libtorch_conv", "the same, ours with --convolutions libtorch",
  () => freshEngineInstance("libtorch"));
