// pooling.ts owns the pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
import type { Tensor } from "../tensor/index.js";
import * as F from "../tensor/functional.js";
import { Module } from "./module.js";
import { pair, type Pair } from "./conv.js";

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

  override extraRepr(): string {
    return `output_size=(${this.outputSize[0]}, ${this.outputSize[1]})`;
  }
}
