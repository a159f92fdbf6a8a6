// linear.ts owns the fully connected layer (Linear) and Flatten, for classification heads.
import { empty, type DType, type DeviceLike, type Tensor } from "../tensor/index.js";
import * as F from "../tensor/functional.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { defaultLayerInit_ } from "./init.js";
import { OnnxExportError, attr, type OnnxGraph } from "./onnx.js";

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number,
    options: { bias?: boolean; dtype?: DType; device?: DeviceLike } = {}) {
    super();
    const opts = { dtype: options.dtype, device: options.device };
    this.weight = Parameter(empty([outFeatures, inFeatures], opts));
    this.bias = options.bias ?? true ? Parameter(empty([outFeatures], opts)) : null;
    defaultLayerInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  /** ONNX Gemm on [N, in] inputs (what follows a Flatten): y = x W^T + b. */
  toOnnx(g: OnnxGraph, x: string): string {
    const inputs = [x, g.param(this, "weight", this.weight)];
    if (this.bias) inputs.push(g.param(this, "bias", this.bias));
    return g.op(this, "Gemm", inputs, { transB: attr.int(1) });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? "True" : "False"}`;
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  toOnnx(g: OnnxGraph, x: string): string {
    if (this.endDim !== -1) throw new OnnxExportError(`Flatten (${g.pathOf(this)}): only end_dim=-1 is exported, got ${this.endDim}`);
    return g.op(this, "Flatten", [x], { axis: attr.int(this.startDim) });
  }
}
