// norm.ts owns the normalisation layers: BatchNorm2d (running statistics as buffers, PyTorch's
// momentum / cumulative-average semantics) and GroupNorm (batch-size independent).
import { noGrad, ones, zeros, type DType, type DeviceLike, type Tensor } from "../tensor/index.js";
import * as F from "../tensor/functional.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { OnnxExportError, attr, type OnnxGraph } from "./onnx.js";

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running averages; null = cumulative average (as PyTorch). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
  device?: DeviceLike;
}

/** A training-mode forward with statistics gathered elsewhere (src/distributed's SyncBatchNorm). */
export type BatchNormTrainingForward = (bn: BatchNorm2d, x: Tensor, momentumFactor: number) => Tensor;

export class BatchNorm2d extends Module {
  /**
   * When set, training-mode forwards use it instead of this process's batch statistics:
   * src/distributed's convertSyncBatchNorm installs SyncBatchNorm's (statistics over every process).
   */
  trainingForward: BatchNormTrainingForward | null = null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(readonly numFeatures: number, options: BatchNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const opts = { dtype: options.dtype, device: options.device };
    this.weight = this.affine ? Parameter(ones([numFeatures], opts)) : null;
    this.bias = this.affine ? Parameter(zeros([numFeatures], opts)) : null;
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer("runningMean", track ? zeros([numFeatures], opts) : null);
    this.runningVar = this.registerBuffer("runningVar", track ? ones([numFeatures], opts) : null);
    this.numBatchesTracked = this.registerBuffer("numBatchesTracked",
      track ? zeros([], { dtype: "int64", device: options.device }) : null);
  }

  forward(x: Tensor): Tensor {
    if (x.dim() !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.dim()}D input)`);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`BatchNorm2d: expected ${this.numFeatures} channels, got input of shape [${x.shape.join(", ")}]`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      const counter = this.numBatchesTracked;
      noGrad(() => counter.add_(1));
      if (this.momentum === null) factor = 1 / counter.item();
    }
    if (this.training && this.trainingForward) return this.trainingForward(this, x, factor);
    // Batch statistics in training, or whenever there are no running statistics to use.
    const useBatchStats = this.training || !this.runningMean;
    const updateRunning = !this.training || this.trackRunningStats;
    return F.batchNorm(x, updateRunning ? this.runningMean : null, updateRunning ? this.runningVar : null,
      this.weight, this.bias, { training: useBatchStats, momentum: factor, eps: this.eps });
  }

  /** Inference form (running statistics): ONNX BatchNormalization. */
  toOnnx(g: OnnxGraph, x: string): string {
    if (!this.runningMean || !this.runningVar) {
      throw new OnnxExportError(`BatchNorm2d (${g.pathOf(this)}): track_running_stats=False normalises with batch ` +
        "statistics at inference, which the export does not express");
    }
    const n = this.numFeatures, path = g.pathOf(this);
    const scale = this.weight ? g.param(this, "weight", this.weight) : g.addFloat(`${path}.weight`, [n], new Float32Array(n).fill(1));
    const bias = this.bias ? g.param(this, "bias", this.bias) : g.addFloat(`${path}.bias`, [n], new Float32Array(n));
    const mean = g.param(this, "running_mean", this.runningMean), variance = g.param(this, "running_var", this.runningVar);
    return g.op(this, "BatchNormalization", [x, scale, bias, mean, variance], { epsilon: attr.float(this.eps) });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`
      + (this.trainingForward ? ", synchronised" : "");
  }
}

export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(readonly numGroups: number, readonly numChannels: number,
    readonly options: { eps?: number; affine?: boolean; dtype?: DType; device?: DeviceLike } = {}) {
    super();
    if (numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: num_channels (${numChannels}) must be divisible by num_groups (${numGroups})`);
    }
    const opts = { dtype: options.dtype, device: options.device };
    const affine = options.affine ?? true;
    this.weight = affine ? Parameter(ones([numChannels], opts)) : null;
    this.bias = affine ? Parameter(zeros([numChannels], opts)) : null;
  }

  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight ?? undefined, this.bias ?? undefined, this.options.eps ?? 1e-5);
  }

  /**
   * ONNX has no GroupNormalization before opset 18 (and opset 18's scales per group, not per channel),
   * so this is PyTorch's own export: reshape to [N, groups, -1], InstanceNormalization, reshape back,
   * then the per-channel affine as Mul and Add.
   */
  toOnnx(g: OnnxGraph, x: string): string {
    const path = g.pathOf(this);
    const shape = g.op(this, "Shape", [x]);
    const grouped = g.op(this, "Reshape", [x, g.int64([0, this.numGroups, -1])]);
    const normed = g.op(this, "InstanceNormalization", [
      grouped,
      g.addFloat(`${path}.group_scale`, [this.numGroups], new Float32Array(this.numGroups).fill(1)),
      g.addFloat(`${path}.group_bias`, [this.numGroups], new Float32Array(this.numGroups)),
    ], { epsilon: attr.float(this.options.eps ?? 1e-5) });
    let out = g.op(this, "Reshape", [normed, shape]);
    const perChannel = [this.numChannels, 1, 1];
    if (this.weight) out = g.op(this, "Mul", [out, g.addFloat(`${path}.weight`, perChannel, this.weight.toFloat32Array())]);
    if (this.bias) out = g.op(this, "Add", [out, g.addFloat(`${path}.bias`, perChannel, this.bias.toFloat32Array())]);
    return out;
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.options.eps ?? 1e-5}, affine=${py(this.weight !== null)}`;
  }
}

function py(b: boolean): string {
  return b ? "True" : "False";
}
