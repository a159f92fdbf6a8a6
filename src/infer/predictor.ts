// predictor.ts owns volume prediction: a trained model (from a run folder or a weights file) turns
// a 3D or 4D image into a label map on the image's own grid. All slices of all frames go through
// the network in batches, and every step after reading the voxels runs on the engine's device:
// per-slice preprocessing exactly as training and validation do it (src/data/preprocess-tensor.ts,
// the twin of preprocess.ts), the network (a LogitsEngine, by default libtorch with BatchNorm
// folded), softmax, optional flip test-time augmentation, the probabilities resampled back to the
// slice grid and the argmax. Only the uint8 label map comes back into JavaScript.
//
// One code path: a generator prepares each batch's network input, yields it, receives the logits
// and finishes the batch. predictVolume drives it with a synchronous engine; predictVolumeAsync
// drives it with any engine and lets the event loop run between batches (a web server stays
// responsive and can send each batch's slices as they come, through the progress callback).
import { setImmediate as nextTick } from "node:timers/promises";
import { DeepLabV3, type ModelConfig } from "../models/index.js";
import { F, cat, fromTypedArray, noGrad, setNumThreads, tidy, type DeviceLike, type Tensor, type TypedArray } from "../tensor/index.js";
import { readSafetensorsHeader } from "../tensor/safetensors.js";
import { sliceGeometry, type SliceGeometry } from "../data/preprocess.js";
import { preprocessBatch, restoreScoresBatch } from "../data/preprocess-tensor.js";
import { taskClassNames } from "../data/tasks.js";
import { labelLike, type ImageVolume, type LabelVolume, type VoxelArray } from "../io/image.js";
import { defaultExperimentConfig, mergeConfig, resolveConfig, type ExperimentConfig } from "../train/config.js";
import { parseJsonText } from "../io/json.js";
import { loadWeightsInto, weightsModelConfig } from "../train/checkpoint.js";
import { resolveWeightsPath } from "../train/model-path.js";
import { TorchEngine, type ConvolutionKernels, type InferencePrecision, type LogitsEngine } from "./engine.js";
import { NETWORK_MULTIPLE, autoBatchSize, batchRanges } from "./batching.js";

export { batchRanges } from "./batching.js";

export interface PredictorOptions {
  device?: DeviceLike;
  /** Average the softmax over the identity and the horizontally and vertically flipped inputs. */
  flipTTA?: boolean;
  threads?: number;
  /**
   * Slices per network call (with flip TTA each call runs three times as many images). Default:
   * automatic, about 450,000 network pixels per call (5 slices of an ACDC frame), TTA flips counted.
   */
  batchSize?: number;
  /** libtorch engine only: float32 (default) or bfloat16 weights and activations. */
  precision?: InferencePrecision;
  /** libtorch engine in float32 on CPU only: the convolution kernels (TorchEngine; default "winograd"). */
  convolutions?: ConvolutionKernels;
}

/** What predictVolume reports after each batch. Slice i (flat) is slice i % slicesPerFrame of frame floor(i / slicesPerFrame). */
export interface PredictionProgress {
  /** Slices finished so far over all frames, of `total` (slices x frames). */
  readonly done: number;
  readonly total: number;
  readonly slicesPerFrame: number;
  readonly frames: number;
  /** The flat slice indices [from, to) this batch finished; their labels are final in `labels`. */
  readonly from: number;
  readonly to: number;
  /** The label map being filled (the object predictVolume returns). */
  readonly labels: LabelVolume;
}

export type OnPrediction = (p: PredictionProgress) => void;

/** The weights file a path designates (src/train/model-path.ts, the one resolver). */
export { resolveWeightsPath } from "../train/model-path.js";

/** The experiment config a cardioseg weights file carries. */
export function readWeightsConfig(weights: string): ExperimentConfig {
  const { metadata } = readSafetensorsHeader(weights);
  weightsModelConfig(weights, metadata);
  if (!metadata.config) throw new Error(`${weights}: the checkpoint lacks its experiment config`);
  // The stored config is checked like a config file: a damaged one is refused naming the weights file.
  const where = `${weights} (metadata "config")`;
  return resolveConfig(mergeConfig(defaultExperimentConfig, parseJsonText(metadata.config, where), where));
}

export class Predictor {
  readonly modelConfig: ModelConfig;
  readonly classNames: readonly string[];
  readonly flipTTA: boolean;
  /** Slices per network call; undefined = automatic (see PredictorOptions). */
  readonly batchSize: number | undefined;

  /**
   * A predictor around any engine; `config` is the experiment config the weights were trained
   * with (its data.spacing is the network grid's), `weightsPath` is recorded in the outputs.
   */
  constructor(readonly engine: LogitsEngine, readonly config: ExperimentConfig, readonly weightsPath: string, o: PredictorOptions = {}) {
    this.modelConfig = config.model;
    if (config.model.inChannels !== 1) {
      throw new Error(`${weightsPath}: the model takes ${config.model.inChannels} input channels; prediction feeds one-channel MRI slices`);
    }
    this.flipTTA = o.flipTTA ?? false;
    this.batchSize = o.batchSize;
    if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) {
      throw new Error(`batch size must be a positive integer, got ${o.batchSize}`);
    }
    if (o.threads && o.threads > 0) setNumThreads(o.threads);
    this.classNames = taskClassNames({ name: config.data.task });
  }

  /** What the network computes in: the libtorch engine's precision; other engines run float32. */
  get precision(): InferencePrecision {
    return this.engine instanceof TorchEngine ? this.engine.precision : "float32";
  }

  /** The libtorch engine's convolution kernels (TorchEngine.convolutions); null for other engines. */
  get convolutions(): ConvolutionKernels | null {
    return this.engine instanceof TorchEngine ? this.engine.convolutions : null;
  }

  /** Load from a run folder (best, else last weights) or a .safetensors written by cardioseg; libtorch engine. */
  static load(path: string, o: PredictorOptions = {}): Predictor {
    const weights = resolveWeightsPath(path);
    const config = readWeightsConfig(weights);
    const model = new DeepLabV3(config.model);
    try {
      loadWeightsInto(model, weights);
    } catch (err) {
      model.dispose();
      throw err;
    }
    const engine = new TorchEngine(model, o.device ?? "cpu", o.precision, { convolutions: o.convolutions });
    return new Predictor(engine, config, weights, o);
  }

  /**
   * Labels for every slice of every frame of a 3D [nx, ny, nz] or 4D [nx, ny, nz, nt] volume, on
   * its grid (a 4D input gives a 4D label map). `onProgress` is called after each batch.
   * Needs a synchronous engine (libtorch); predictVolumeAsync takes any.
   */
  predictVolume(volume: ImageVolume, onProgress?: OnPrediction): LabelVolume {
    const steps = this.steps(volume, onProgress);
    let r = steps.next();
    while (!r.done) {
      let logits: Tensor;
      try {
        const out = callEngine(this.engine, r.value);
        if (out instanceof Promise) {
          out.then((t) => t.dispose(), () => undefined);
          throw new Error("this engine is asynchronous: use predictVolumeAsync");
        }
        logits = out;
      } catch (err) {
        steps.throw(err);
        throw err;
      }
      r = steps.next(logits);
    }
    return r.value;
  }

  /** predictVolume for any engine, letting the event loop run after each batch. */
  async predictVolumeAsync(volume: ImageVolume, onProgress?: OnPrediction): Promise<LabelVolume> {
    const steps = this.steps(volume, onProgress);
    let r = steps.next();
    while (!r.done) {
      let logits: Tensor;
      try {
        logits = await callEngine(this.engine, r.value);
      } catch (err) {
        steps.throw(err);
        throw err;
      }
      r = steps.next(logits);
      await nextTick();
    }
    return r.value;
  }

  /** Yields each batch's network input, receives its logits, returns the filled label map. */
  private *steps(volume: ImageVolume, onProgress?: OnPrediction): Generator<Tensor, LabelVolume, Tensor> {
    const layout = volumeLayout(volume);
    const { nx, ny, nz, nt } = layout;
    const g = sliceGeometry(nx, ny, [volume.spacing[0], volume.spacing[1]], {
      targetSpacing: this.config.data.spacing, multipleOf: NETWORK_MULTIPLE,
    });
    const labels = labelsFor(volume, layout);
    const total = nz * nt, plane = nx * ny;
    for (const [from, to] of batchRanges(total, this.slicesPerCall(g))) {
      const x = noGrad(() => tidy(() => this.networkInput(rawSlices(volume.data, from, to, nx, ny, this.engine.device), g)));
      let logits: Tensor;
      try {
        logits = yield x;
      } finally {
        x.dispose();
      }
      try {
        labels.data.set(noGrad(() => tidy(() => this.labelsOf(logits, g, to - from))), from * plane);
      } finally {
        logits.dispose();
      }
      onProgress?.({ done: to, total, slicesPerFrame: nz, frames: nt, from, to, labels });
    }
    return labels;
  }

  /** The batch size, or as many slices as fit the automatic pixel budget (at least one). */
  slicesPerCall(g: SliceGeometry): number {
    if (this.batchSize !== undefined) return this.batchSize;
    return autoBatchSize(g.outWidth, g.outHeight, this.flipTTA ? 3 : 1);
  }

  /** Preprocessed slices, followed by their two flips when flip TTA is on. */
  private networkInput(raw: Tensor, g: SliceGeometry): Tensor {
    const x = preprocessBatch(raw, g);
    return this.flipTTA ? cat([x, x.flip([3]), x.flip([2])], 0) : x;
  }

  /** Argmax of the (flip-averaged) softmax, resampled back to the slice grid: uint8 [count, ny, nx]. */
  private labelsOf(logits: Tensor, g: SliceGeometry, count: number): Uint8Array {
    const views = this.flipTTA ? 3 : 1;
    if (logits.dim() !== 4 || logits.shape[0] !== count * views || logits.shape[1] !== this.modelConfig.numClasses) {
      throw new Error(`the engine returned logits [${logits.shape.join(", ")}] for ${count * views} slices of ${this.modelConfig.numClasses} classes`);
    }
    let probs = F.softmax(logits, 1);
    if (this.flipTTA) {
      const [plain, flippedX, flippedY] = probs.split(count, 0);
      probs = plain.add(flippedX.flip([3])).add(flippedY.flip([2])).div(3);
    }
    const back = restoreScoresBatch(probs, g);
    // max(1).indices is argmax (the first of tied maxima, as argmaxChannels), at a tenth of
    // argmax(1)'s time on the CPU (libtorch 1.13's argmax reduces a strided dimension slowly).
    return back.max(1).indices.to({ dtype: "uint8", device: "cpu" }).toArray() as Uint8Array;
  }

  dispose(): void {
    this.engine.dispose();
  }
}

/** engine.logits inside a tidy scope (its temporaries freed), or its Promise for an asynchronous engine. */
function callEngine(engine: LogitsEngine, x: Tensor): Tensor | Promise<Tensor> {
  let pending: Promise<Tensor> | undefined;
  const logits = tidy(() => {
    const out = engine.logits(x);
    if (out instanceof Promise) {
      pending = out;
      return null;
    }
    return out;
  });
  return pending ?? (logits as Tensor);
}

interface VolumeLayout { nx: number; ny: number; nz: number; nt: number }

function volumeLayout(volume: ImageVolume): VolumeLayout {
  const [nx, ny = 1, nz = 1] = volume.dims;
  const nt = volume.dims.slice(3).reduce((a, b) => a * b, 1);
  for (const d of volume.dims) {
    if (!Number.isInteger(d) || d < 1) throw new Error(`cannot predict a volume of dims ${volume.dims.join("x")}`);
  }
  if (volume.data.length !== nx * ny * nz * nt) {
    throw new Error(`volume data has ${volume.data.length} voxels, dims ${volume.dims.join("x")} need ${nx * ny * nz * nt}`);
  }
  return { nx, ny, nz, nt };
}

/** The label map: the image's 3D geometry, plus its frames when it has several. */
function labelsFor(volume: ImageVolume, l: VolumeLayout): LabelVolume {
  if (l.nt === 1) return labelLike(volume);
  return {
    data: new Uint8Array(l.nx * l.ny * l.nz * l.nt), dims: [l.nx, l.ny, l.nz, l.nt],
    spacing: volume.spacing.slice(0, 4), affine: volume.affine.slice(), meta: { ...volume.meta },
  };
}

/** Slices [from, to) as a float32 tensor [B, 1, ny, nx] on `device`. */
function rawSlices(data: VoxelArray, from: number, to: number, nx: number, ny: number, device: DeviceLike): Tensor {
  const part = data.subarray(from * nx * ny, to * nx * ny);
  // Tensors take neither uint16 (MR DICOM's usual pixel type) nor uint32: those are converted here
  // (exactly for uint16; uint32 values round as in float32).
  const typed: TypedArray = part instanceof Uint32Array || part instanceof Uint16Array ? Float32Array.from(part) : part;
  return fromTypedArray(typed, [to - from, 1, ny, nx], { dtype: "float32", device });
}
