// aspp.ts owns Atrous Spatial Pyramid Pooling (Chen et al. 2017 §3.3) in torchvision's layout:
// convs.0 = 1x1 branch, convs.1..n = 3x3 atrous branches, convs.last = image pooling; each branch is
// conv + norm + ReLU; `project` = 1x1 conv over the concatenation + norm + ReLU + dropout 0.5.
// The ReLUs run in place (torchvision's are not; the values are the same): a norm's backward needs
// its input, not its output, so overwriting the output saves one activation-sized buffer per block.
import {
  AdaptiveAvgPool2d, Conv2d, Dropout, Module, ModuleList, ReLU, Sequential, attr, layerToOnnx, type OnnxGraph,
} from "../nn/index.js";
import { F, cat } from "../tensor/index.js";
import type { Generator, Tensor } from "../tensor/index.js";
import { makeNorm, type NormOptions } from "./norm.js";
import { consume } from "./chain.js";

/** Atrous rates of the paper: (6, 12, 18) at output stride 16, doubled at output stride 8. */
export function defaultAtrousRates(outputStride: number): [number, number, number] {
  if (outputStride === 8) return [12, 24, 36];
  if (outputStride === 16) return [6, 12, 18];
  if (outputStride === 32) return [3, 6, 9];
  throw new Error(`output stride must be 8, 16 or 32, got ${outputStride}`);
}

/** 3x3 atrous conv + norm + ReLU (torchvision's ASPPConv). */
export class ASPPConv extends Sequential {
  constructor(cin: number, cout: number, rate: number, norm: NormOptions) {
    super(new Conv2d(cin, cout, 3, { padding: rate, dilation: rate, bias: false }), makeNorm(cout, norm), new ReLU(true));
  }
}

/** Image-level features: global average pool, 1x1 conv + norm + ReLU, broadcast back to the map size. */
export class ASPPPooling extends Sequential {
  constructor(cin: number, cout: number, norm: NormOptions) {
    super(new AdaptiveAvgPool2d(1), new Conv2d(cin, cout, 1, { bias: false }), makeNorm(cout, norm), new ReLU(true));
  }

  override forward(x: Tensor): Tensor {
    // Bilinear from 1x1 is a broadcast; torchvision interpolates, so do the same for identical numbers.
    const size: [number, number] = [x.shape[2], x.shape[3]];
    const up = consume(super.forward(x), (p) => F.interpolate(p, { size, mode: "bilinear", alignCorners: false }));
    // A 1x1 map has no layout of its own and the broadcast can come out NCHW in a channels-last run (it
    // does under autocast); the concatenation with the other branches, its projection and the decoder
    // would follow it into NCHW, reordered before every channels-last convolution. Keep x's layout.
    const channelsLast = x.isContiguous("channelsLast") && !x.isContiguous();
    return channelsLast ? consume(up, (u) => u.contiguous("channelsLast")) : up;
  }

  override toOnnx(g: OnnxGraph, x: string): string {
    return g.resizeBilinearLike(this, super.toOnnx(g, x), x);
  }
}

export class ASPP extends Module {
  readonly convs: ModuleList;
  readonly project: Sequential;

  /** `generator` drives the dropout mask (the trainer owns it so its state is checkpointed). */
  constructor(cin: number, rates: readonly number[], cout: number, norm: NormOptions, dropout = 0.5, generator?: Generator) {
    super();
    const branches: Module[] = [new Sequential(new Conv2d(cin, cout, 1, { bias: false }), makeNorm(cout, norm), new ReLU(true))];
    for (const rate of rates) branches.push(new ASPPConv(cin, cout, rate, norm));
    branches.push(new ASPPPooling(cin, cout, norm));
    this.convs = new ModuleList(branches);
    this.project = new Sequential(
      new Conv2d(branches.length * cout, cout, 1, { bias: false }), makeNorm(cout, norm), new ReLU(true), new Dropout(dropout, generator),
    );
  }

  forward(x: Tensor): Tensor {
    const outs = [...this.convs].map((branch) => (branch as Sequential).forward(x));
    const joined = cat(outs, 1);
    for (const t of outs) t.dispose();
    return consume(joined, (j) => this.project.forward(j));
  }

  toOnnx(g: OnnxGraph, x: string): string {
    const outs = [...this.convs].map((branch) => layerToOnnx(g, branch, x));
    return this.project.toOnnx(g, g.op(this, "Concat", outs, { axis: attr.int(1) }));
  }
}
