// heads.ts owns the heads on top of the backbone: DeepLabHead (ASPP, 3x3 conv, 1x1 classifier —
// torchvision's `classifier.0..4`), the auxiliary FCNHead on layer3 (`aux_classifier.0..4`), and the
// DeepLabV3+ decoder (Chen et al. 2018: 48-channel 1x1 projection of the stride-4 layer1 features,
// concatenated with the upsampled ASPP output, then 3x3 conv + 1x1 classifier; VainF's key layout).
// ReLUs after a norm run in place, as in aspp.ts.
import { Conv2d, Dropout, Module, ReLU, Sequential, attr, type OnnxGraph } from "../nn/index.js";
import { F, cat } from "../tensor/index.js";
import type { Generator, Tensor } from "../tensor/index.js";
import { ASPP } from "./aspp.js";
import { makeNorm, type NormOptions } from "./norm.js";
import type { BackboneFeatures, OnnxFeatures } from "./resnet.js";
import { consume } from "./chain.js";

export interface HeadOptions {
  inChannels: number;
  numClasses: number;
  rates: readonly number[];
  /** ASPP / head channels (256 in the paper). */
  channels: number;
  norm: NormOptions;
  dropout: number;
  /** Random source of the dropout layers. */
  generator?: Generator;
}

/** classifier.0 = ASPP, .1 = 3x3 conv, .2 = norm, .3 = ReLU, .4 = 1x1 conv to the classes. */
export class DeepLabHead extends Sequential {
  constructor(o: HeadOptions) {
    super(
      new ASPP(o.inChannels, o.rates, o.channels, o.norm, o.dropout, o.generator),
      new Conv2d(o.channels, o.channels, 3, { padding: 1, bias: false }),
      makeNorm(o.channels, o.norm),
      new ReLU(true),
      new Conv2d(o.channels, o.numClasses, 1),
    );
  }

  forwardFeatures(f: BackboneFeatures): Tensor {
    return this.forward(f.out);
  }

  toOnnxFeatures(g: OnnxGraph, f: OnnxFeatures): string {
    return this.toOnnx(g, f.out);
  }
}

/** torchvision's FCNHead: 3x3 conv to in/4 channels, norm, ReLU, dropout 0.1, 1x1 to the classes. */
export class FCNHead extends Sequential {
  constructor(inChannels: number, numClasses: number, norm: NormOptions, generator?: Generator) {
    const inter = Math.floor(inChannels / 4);
    super(
      new Conv2d(inChannels, inter, 3, { padding: 1, bias: false }),
      makeNorm(inter, norm),
      new ReLU(true),
      new Dropout(0.1, generator),
      new Conv2d(inter, numClasses, 1),
    );
  }
}

export interface PlusHeadOptions extends HeadOptions {
  lowLevelInChannels: number;
  /** Channels of the projected low-level skip (48 in the paper). */
  lowLevelChannels: number;
}

export class DeepLabV3PlusHead extends Module {
  readonly project: Sequential;
  readonly aspp: ASPP;
  readonly classifier: Sequential;

  constructor(o: PlusHeadOptions) {
    super();
    this.project = new Sequential(
      new Conv2d(o.lowLevelInChannels, o.lowLevelChannels, 1, { bias: false }), makeNorm(o.lowLevelChannels, o.norm), new ReLU(true),
    );
    this.aspp = new ASPP(o.inChannels, o.rates, o.channels, o.norm, o.dropout, o.generator);
    this.classifier = new Sequential(
      new Conv2d(o.lowLevelChannels + o.channels, o.channels, 3, { padding: 1, bias: false }),
      makeNorm(o.channels, o.norm),
      new ReLU(true),
      new Conv2d(o.channels, o.numClasses, 1),
    );
  }

  forward(f: BackboneFeatures): Tensor {
    const low = this.project.forward(f.low);
    const size: [number, number] = [low.shape[2], low.shape[3]];
    const upsampled = consume(this.aspp.forward(f.out), (d) => F.interpolate(d, { size, mode: "bilinear", alignCorners: false }));
    // Under bfloat16 autocast the upsampling returns float32 (native/src/autocast.cc) beside bfloat16
    // low-level features, and cat of mixed dtypes takes a slow promoting path (19 ms against 5 ms in an
    // acdc-cpu step); the convolution after it runs in bfloat16 anyway, so join in low's dtype.
    const up = consume(upsampled, (u) => (u.dtype === low.dtype ? u : u.to(low.dtype)));
    const joined = cat([low, up], 1);
    low.dispose();
    up.dispose();
    return consume(joined, (j) => this.classifier.forward(j));
  }

  forwardFeatures(f: BackboneFeatures): Tensor {
    return this.forward(f);
  }

  toOnnxFeatures(g: OnnxGraph, f: OnnxFeatures): string {
    const low = this.project.toOnnx(g, f.low);
    const up = g.resizeBilinearLike(this, this.aspp.toOnnx(g, f.out), low);
    return this.classifier.toOnnx(g, g.op(this, "Concat", [low, up], { axis: attr.int(1) }));
  }
}
