// pooling.ts owns the pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
import type { Tensor } from "../tensor/index.js";
import * as F from "../tensor/functional.js";
import { Module } from "./module.js";
import { pair, type Pair } from "./conv.js";
import { OnnxExportError, attr, type OnnxGraph } from "./onnx.js";

export interface MaxPool2dOptions { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean }

export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  /** stride defaults to the kernel size, as in PyTorch. */
  constructor(kernelSize: Pair, options: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? kernelSize);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.ceilMode = options.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      dilation: this.dilation, ceilMode: this.ceilMode,
    });
  }

  toOnnx(g: OnnxGraph, x: string): string {
    return g.op(this, "MaxPool", [x], {
      kernel_shape: attr.ints(this.kernelSize), strides: attr.ints(this.stride), dilations: attr.ints(this.dilation),
      pads: attr.ints([...this.padding, ...this.padding]), ceil_mode: attr.int(this.ceilMode ? 1 : 0),
    });
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize[0]}, stride=${this.stride[0]}, padding=${this.padding[0]}, dilation=${this.dilation[0]}, ceil_mode=${this.ceilMode ? "True" : "False"}`;
  }
}

export interface AvgPool2dOptions { stride?: Pair; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean }

export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Pair, readonly options: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? kernelSize);
    this.padding = pair(options.padding ?? 0);
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      ceilMode: this.options.ceilMode ?? false, countIncludePad: this.options.countIncludePad ?? true,
    });
  }

  toOnnx(g: OnnxGraph, x: string): string {
    return g.op(this, "AveragePool", [x], {
      kernel_shape: attr.ints(this.kernelSize), strides: attr.ints(this.stride), pads: attr.ints([...this.padding, ...this.padding]),
      ceil_mode: attr.int(this.options.ceilMode ? 1 : 0), count_include_pad: attr.int(this.options.countIncludePad ?? true ? 1 : 0),
    });
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }

  /** Only the global pool (output 1x1, what ASPP uses) has a fixed ONNX form for every input size. */
  toOnnx(g: OnnxGraph, x: string): string {
    if (this.outputSize[0] !== 1 || this.outputSize[1] !== 1) {
      const size = this.outputSize.join(", ");
      throw new OnnxExportError(`AdaptiveAvgPool2d (${g.pathOf(this)}): only output_size=(1, 1) is exported, got (${size})`);
    }
    return g.op(this, "GlobalAveragePool", [x]);
  }

  override extraRepr(): string {
    return `output_size=(${this.outputSize[0]}, ${this.outputSize[1]})`;
  }
}
