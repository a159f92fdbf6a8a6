// activation.ts owns the parameter-free element-wise layers: ReLU, Dropout, Dropout2d, Identity.
import type { Generator, Tensor } from "../tensor/index.js";
import * as F from "../tensor/functional.js";
import { Module } from "./module.js";
import type { OnnxGraph } from "./onnx.js";

/** max(x, 0). `inplace` overwrites the input, as torch.nn.ReLU(inplace=True): no new buffer. */
export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? x.relu_() : F.relu(x);
  }

  toOnnx(g: OnnxGraph, x: string): string {
    return g.op(this, "Relu", [x]);
  }

  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

export class Identity extends Module {
  /** Returns its input unchanged (the same tensor, not a copy). */
  forward(x: Tensor): Tensor {
    return x;
  }

  toOnnx(_g: OnnxGraph, x: string): string {
    return x;
  }
}

function checkP(kind: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`${kind}: dropout probability has to be between 0 and 1, but got ${p}`);
}

/** Zeroes elements with probability p in training and scales the rest by 1/(1-p). */
export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly generator?: Generator) {
    super();
    checkP("Dropout", p);
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training, this.generator);
  }

  /** Inference: the identity (no node). */
  toOnnx(_g: OnnxGraph, x: string): string {
    return x;
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Zeroes whole channels (N, C planes) with probability p in training, as torch.nn.Dropout2d. */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5, readonly generator?: Generator) {
    super();
    checkP("Dropout2d", p);
  }

  forward(x: Tensor): Tensor {
    return F.dropout2d(x, this.p, this.training, this.generator);
  }

  /** Inference: the identity (no node). */
  toOnnx(_g: OnnxGraph, x: string): string {
    return x;
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
