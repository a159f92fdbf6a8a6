// predictor.ts owns inference from a finished (or running) training run: load the model and its
// config from a run folder or a weights file, then predict 2D slices or whole volumes (preprocess
// like validation, softmax, optional horizontal/vertical flip test-time augmentation, scores mapped
// back to the original grid, argmax). The predict/evaluate commands build on it.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DeepLabV3, type ModelConfig } from "../models/index.js";
import { F, fromTypedArray, noGrad, setNumThreads, tidy, type DeviceLike, type Tensor } from "../tensor/index.js";
import { readSafetensorsHeader } from "../tensor/safetensors.js";
import { argmaxChannels, preprocessSlice, restoreScores } from "../data/preprocess.js";
import { taskClassNames } from "../data/tasks.js";
import { labelLike, type ImageVolume, type LabelVolume } from "../io/image.js";
import { defaultExperimentConfig, mergeConfig, resolveConfig, type ExperimentConfig } from "./config.js";
import { parseJsonText } from "../io/json.js";
import { loadWeightsInto, weightsModelConfig } from "./checkpoint.js";

export interface PredictorOptions {
  device?: DeviceLike;
  /** Average softmax over the identity and flipped inputs (flip TTA). */
  flipTTA?: boolean;
  threads?: number;
}

export interface SlicePrediction {
  /** Class per pixel on the input grid. */
  labels: Uint8Array;
  /** Softmax probabilities [C, H, W] on the input grid. */
  probs: Float32Array;
}

/** The weights file a path designates: a run folder's best (else last) weights, or the file itself. */
export function resolveWeightsPath(path: string): string {
  if (!existsSync(path)) throw new Error(`${path}: no such run folder or checkpoint`);
  if (!statSync(path).isDirectory()) return path;
  for (const name of ["best.safetensors", "last.safetensors"]) {
    const p = join(path, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${path}: the run folder has neither best.safetensors nor last.safetensors`);
}

export class Predictor {
  readonly model: DeepLabV3;
  readonly modelConfig: ModelConfig;
  /** The experiment config the weights were trained with (data task, spacing, crop size…). */
  readonly config: ExperimentConfig;
  readonly classNames: readonly string[];
  readonly weightsPath: string;
  private readonly device: DeviceLike;
  private readonly flipTTA: boolean;

  private constructor(weightsPath: string, config: ExperimentConfig, o: PredictorOptions) {
    this.weightsPath = weightsPath;
    this.config = config;
    this.modelConfig = config.model;
    this.device = o.device ?? "cpu";
    this.flipTTA = o.flipTTA ?? false;
    if (o.threads && o.threads > 0) setNumThreads(o.threads);
    this.model = new DeepLabV3(config.model);
    loadWeightsInto(this.model, weightsPath);
    if (this.device !== "cpu") this.model.to(this.device);
    this.model.eval();
    this.classNames = taskClassNames({ name: config.data.task });
  }

  /** Load from a run folder (best, else last weights) or a .safetensors written by cardioseg. */
  static load(path: string, o: PredictorOptions = {}): Predictor {
    const weights = resolveWeightsPath(path);
    const { metadata } = readSafetensorsHeader(weights);
    weightsModelConfig(weights, metadata);
    if (!metadata.config) throw new Error(`${weights}: the checkpoint lacks its experiment config`);
    // The stored config is checked like a config file: a damaged one is refused naming the weights file.
    const where = `${weights} (metadata "config")`;
    const config = resolveConfig(mergeConfig(defaultExperimentConfig, parseJsonText(metadata.config, where), where));
    return new Predictor(weights, config, o);
  }

  /** Softmax probabilities [B, C, H, W] for preprocessed images [B, 1, H, W]. */
  predictProbs(images: Float32Array, batch: number, height: number, width: number): Float32Array {
    if (images.length !== batch * height * width) {
      throw new Error(`predictProbs: ${images.length} values for ${batch}x1x${height}x${width}`);
    }
    return noGrad(() => tidy(() => {
      const x = fromTypedArray(images, [batch, 1, height, width]).to(this.device);
      let probs = this.softmax(x);
      if (this.flipTTA) {
        for (const dims of [[3], [2]]) {
          const flipped = this.softmax(x.flip(dims)).flip(dims);
          probs = probs.add(flipped);
        }
        probs = probs.div(3);
      }
      return probs.to("cpu").toFloat32Array();
    }));
  }

  private softmax(x: Tensor): Tensor {
    return F.softmax(this.model.forward(x).out, 1);
  }

  /** Predict one preprocessed slice (already at the network's spacing and normalised). */
  predictPreprocessed(image: Float32Array, height: number, width: number): SlicePrediction {
    const probs = this.predictProbs(image, 1, height, width);
    return { probs, labels: argmaxChannels(probs, this.modelConfig.numClasses) };
  }

  /**
   * Predict one raw slice (original grid and intensities): resample to the training spacing,
   * normalise, pad to a multiple of 16, predict, map the probabilities back, argmax.
   */
  predictSlice(image: Float32Array, width: number, height: number, spacing: readonly [number, number]): SlicePrediction {
    const pre = preprocessSlice({ image, width, height, spacing }, { targetSpacing: this.config.data.spacing, multipleOf: 16 });
    const g = pre.geometry;
    const net = this.predictProbs(pre.image, 1, g.outHeight, g.outWidth);
    const probs = restoreScores(net, this.modelConfig.numClasses, g);
    return { probs, labels: argmaxChannels(probs, this.modelConfig.numClasses) };
  }

  /** Predict every slice of a 3D volume (or the first frame of a 4D one) into a label map. */
  predictVolume(volume: ImageVolume): LabelVolume {
    const [nx, ny, nz] = volume.dims;
    const plane = nx * ny;
    const out = labelLike(volume);
    const spacing: [number, number] = [volume.spacing[0], volume.spacing[1]];
    for (let k = 0; k < (nz ?? 1); k++) {
      const slice = Float32Array.from(volume.data.subarray(k * plane, (k + 1) * plane));
      out.data.set(this.predictSlice(slice, nx, ny, spacing).labels, k * plane);
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}
