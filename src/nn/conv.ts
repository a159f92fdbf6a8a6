// conv.ts owns the convolution layers (Conv2d, ConvTranspose2d) with PyTorch's default init, and
// packing a model's convolutions for inference (packConvolutions_).
import { PackedConvolution, empty, isGradEnabled, type DType, type DeviceLike, type Tensor } from "../tensor/index.js";
import * as F from "../tensor/functional.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { defaultLayerInit_ } from "./init.js";
import { attr, type OnnxGraph } from "./onnx.js";

/** A size given once for both spatial dimensions or as [height, width]. */
export type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  dtype?: DType;
  device?: DeviceLike;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

export function pair(v: Pair): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

function checkGroups(kind: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`${kind}: in_channels (${inChannels}) and out_channels (${outChannels}) must be divisible by groups (${groups})`);
  }
}

function pairRepr(v: [number, number]): string {
  return `(${v[0]}, ${v[1]})`;
}

export class Conv2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  #packed: PackedConvolution | null = null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    checkGroups("Conv2d", inChannels, outChannels, groups);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = groups;
    const opts = { dtype: options.dtype, device: options.device };
    this.weight = Parameter(empty([outChannels, inChannels / groups, ...this.kernelSize], opts));
    this.bias = options.bias ?? true ? Parameter(empty([outChannels], opts)) : null;
    defaultLayerInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    if (this.#packed && !this.training && x.dtype === "float32" && x.device === "cpu" && !isGradEnabled()) {
      return this.#packed.forward(x);
    }
    // Only the taps that can touch the input (tapsInside): the others multiply zero padding at every output.
    const [height = 1, width = 1] = x.shape.slice(2);
    const [kh, kw] = this.kernelSize;
    const r = tapsInside(height, kh, this.stride[0], this.padding[0], this.dilation[0]) ?? (kh - 1) / 2;
    const c = tapsInside(width, kw, this.stride[1], this.padding[1], this.dilation[1]) ?? (kw - 1) / 2;
    const pruned = 2 * r + 1 < kh || 2 * c + 1 < kw;
    const weight = pruned ? this.weight.narrow(2, (kh - 1) / 2 - r, 2 * r + 1).narrow(3, (kw - 1) / 2 - c, 2 * c + 1)
      : this.weight;
    return F.conv2d(x, weight, this.bias ?? undefined, {
      stride: this.stride, padding: pruned ? [r * this.dilation[0], c * this.dilation[1]] : this.padding,
      dilation: this.dilation, groups: this.groups,
    });
  }

  /**
   * Packs a copy of the current weights for inference (PackedConvolution: oneDNN's kernel layout, Winograd
   * for 3x3 stride-1 where the CPU has it). Forward then uses the pack for float32 CPU input in eval mode
   * without grad; anything else runs at::conv2d on the weights as they are. The pack does not follow later
   * changes to the weights: pack after loading and folding, pack again after changing them, never pack a
   * model that trains (its forward with grad runs libtorch's convolution anyway).
   * Returns whether it packed (false without oneDNN in the addon, for groups > 1 or non-float32/CPU weights).
   */
  packForInference_(options: { winograd: boolean }): boolean {
    this.#packed = null;
    if (this.groups !== 1) return false;
    this.#packed = PackedConvolution.create(this.weight, this.bias, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, winograd: options.winograd,
    });
    return this.#packed !== null;
  }

  /** The oneDNN kernel the packed forward last ran ("" before the first, null when not packed). */
  get packedImplementation(): string | null {
    return this.#packed?.implementation ?? null;
  }

  /** ONNX Conv: PyTorch's symmetric padding p is pads [p_h, p_w, p_h, p_w]. */
  toOnnx(g: OnnxGraph, x: string): string {
    const inputs = [x, g.param(this, "weight", this.weight)];
    if (this.bias) inputs.push(g.param(this, "bias", this.bias));
    return g.op(this, "Conv", inputs, {
      kernel_shape: attr.ints(this.kernelSize), strides: attr.ints(this.stride), dilations: attr.ints(this.dilation),
      pads: attr.ints([...this.padding, ...this.padding]), group: attr.int(this.groups),
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pairRepr(this.kernelSize)}, stride=${pairRepr(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${pairRepr(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pairRepr(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ", bias=False";
    return s;
  }
}

export class ConvTranspose2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, options: ConvTranspose2dOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    checkGroups("ConvTranspose2d", inChannels, outChannels, groups);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.outputPadding = pair(options.outputPadding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = groups;
    const opts = { dtype: options.dtype, device: options.device };
    // PyTorch's layout for transposed convolutions: [in, out / groups, kh, kw].
    this.weight = Parameter(empty([inChannels, outChannels / groups, ...this.kernelSize], opts));
    this.bias = options.bias ?? true ? Parameter(empty([outChannels], opts)) : null;
    defaultLayerInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias ?? undefined, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding,
      groups: this.groups, dilation: this.dilation,
    });
  }

  toOnnx(g: OnnxGraph, x: string): string {
    const inputs = [x, g.param(this, "weight", this.weight)];
    if (this.bias) inputs.push(g.param(this, "bias", this.bias));
    return g.op(this, "ConvTranspose", inputs, {
      kernel_shape: attr.ints(this.kernelSize), strides: attr.ints(this.stride), dilations: attr.ints(this.dilation),
      pads: attr.ints([...this.padding, ...this.padding]), output_padding: attr.ints(this.outputPadding), group: attr.int(this.groups),
    });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=${pairRepr(this.kernelSize)}, stride=${pairRepr(this.stride)}`;
  }
}

/**
 * The taps each side of the centre that can reach the input along one dimension of a "same" convolution
 * (stride 1, odd kernel, padding dilation × (kernel - 1) / 2), when fewer than the kernel has; null when all
 * can (or the convolution is not of that kind). A tap offset by t × dilation from the centre reads only zero
 * padding at every output once t × dilation >= size: ASPP's rate-36 branch on a 32x32 feature map (DeepLab
 * v3 at output stride 8 on 256x256 input) is a 1x1 convolution in effect, which oneDNN runs many times faster
 * than the dilated 3x3 (whose backward falls to its gemm kernel). The result is the same sum less its zero
 * terms; PyTorch computes them.
 */
export function tapsInside(size: number, kernel: number, stride: number, padding: number, dilation: number): number | null {
  const half = (kernel - 1) / 2;
  if (stride !== 1 || kernel % 2 === 0 || padding !== dilation * half) return null;
  const inside = Math.min(half, Math.floor((size - 1) / dilation));
  return inside < half ? inside : null;
}

/** Packs every Conv2d of `model` for inference (Conv2d.packForInference_); returns how many it packed. */
export function packConvolutions_(model: Module, options: { winograd: boolean }): number {
  let packed = 0;
  for (const m of model.modules()) if (m instanceof Conv2d && m.packForInference_(options)) packed++;
  return packed;
}
