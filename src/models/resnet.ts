// resnet.ts owns the ResNet backbones (He et al. 2016) in torchvision's layout: BasicBlock for
// ResNet-18/34, Bottleneck (stride on the 3x3, "ResNet v1.5") for ResNet-50/101, the stride-to-dilation
// switch that gives output stride 16 or 8 (Chen et al. 2017 §3.2) and the multi-grid rates of the
// last stage (§3.2: "Multi-grid Method"). Keys: conv1, bn1, layer1..layer4[i].{conv1,bn1,...,downsample.0/1}.
import { Conv2d, MaxPool2d, Module, ReLU, Sequential, init, type ConvBnPairs, type Layer, type OnnxGraph } from "../nn/index.js";
import type { Tensor } from "../tensor/index.js";
import { makeNorm, type NormOptions } from "./norm.js";
import { chain, consume, onnxChain } from "./chain.js";

export type ResNetDepth = 18 | 34 | 50 | 101;
export type OutputStride = 8 | 16 | 32;

export interface ResNetOptions {
  depth: ResNetDepth;
  /** Image channels (1 for MRI, 3 for RGB). */
  inChannels: number;
  outputStride: OutputStride;
  /** Per-block dilation multipliers of layer4 (e.g. [1, 2, 4]); null keeps torchvision's plain dilation. */
  multiGrid: readonly number[] | null;
  norm: NormOptions;
  /** Channels of the stem and layer1 (64 in the paper); smaller only for tests and toy runs. */
  width: number;
}

/** Feature maps handed to the heads: layer1 (low level, stride 4), layer3 (aux), layer4 (out). */
export interface BackboneFeatures<T = Tensor> {
  low: T;
  aux: T;
  out: T;
}

/** The same feature maps as ONNX value names. */
export type OnnxFeatures = BackboneFeatures<string>;

interface BlockSpec {
  inplanes: number;
  planes: number;
  stride: number;
  dilation: number;
  downsample: Sequential | null;
  norm: NormOptions;
  /** Rate of the conv that multi-grid rescales (BasicBlock's conv2, Bottleneck's 3x3); default `dilation`. */
  gridDilation?: number;
}

function conv3x3(cin: number, cout: number, stride: number, dilation: number): Conv2d {
  return new Conv2d(cin, cout, 3, { stride, padding: dilation, dilation, bias: false });
}

function conv1x1(cin: number, cout: number, stride = 1): Conv2d {
  return new Conv2d(cin, cout, 1, { stride, bias: false });
}

/** Two 3x3 convolutions with an identity shortcut (ResNet-18/34). Dilation applies to both convs. */
export class BasicBlock extends Module implements ConvBnPairs {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: Layer;
  readonly relu = new ReLU(true); // torchvision: nn.ReLU(inplace=True)
  readonly conv2: Conv2d;
  readonly bn2: Layer;
  readonly downsample: Sequential | null;

  constructor(s: BlockSpec) {
    super();
    this.conv1 = conv3x3(s.inplanes, s.planes, s.stride, s.dilation);
    this.bn1 = makeNorm(s.planes, s.norm);
    this.conv2 = conv3x3(s.planes, s.planes, 1, s.gridDilation ?? s.dilation);
    this.bn2 = makeNorm(s.planes, s.norm);
    this.downsample = s.downsample;
  }

  forward(x: Tensor): Tensor {
    const out = chain(x, this.conv1, this.bn1, this.relu, this.conv2, this.bn2);
    return residual(out, x, this.downsample, this.relu);
  }

  toOnnx(g: OnnxGraph, x: string): string {
    const out = onnxChain(g, x, this.conv1, this.bn1, this.relu, this.conv2, this.bn2);
    return onnxResidual(g, this, out, x, this.downsample, this.relu);
  }

  /** For foldBatchNorm_: forward feeds conv1 into bn1 and conv2 into bn2 (downsample is a Sequential). */
  convBnPairs(): Array<[string, string]> {
    return [["conv1", "bn1"], ["conv2", "bn2"]];
  }
}

/** 1x1 reduce, 3x3 (strided, dilated), 1x1 expand by 4, plus the shortcut (ResNet-50/101). */
export class Bottleneck extends Module implements ConvBnPairs {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: Layer;
  readonly conv2: Conv2d;
  readonly bn2: Layer;
  readonly conv3: Conv2d;
  readonly bn3: Layer;
  readonly relu = new ReLU(true); // torchvision: nn.ReLU(inplace=True)
  readonly downsample: Sequential | null;

  constructor(s: BlockSpec) {
    super();
    this.conv1 = conv1x1(s.inplanes, s.planes);
    this.bn1 = makeNorm(s.planes, s.norm);
    this.conv2 = conv3x3(s.planes, s.planes, s.stride, s.gridDilation ?? s.dilation);
    this.bn2 = makeNorm(s.planes, s.norm);
    this.conv3 = conv1x1(s.planes, s.planes * Bottleneck.expansion);
    this.bn3 = makeNorm(s.planes * Bottleneck.expansion, s.norm);
    this.downsample = s.downsample;
  }

  forward(x: Tensor): Tensor {
    const out = chain(x, this.conv1, this.bn1, this.relu, this.conv2, this.bn2, this.relu, this.conv3, this.bn3);
    return residual(out, x, this.downsample, this.relu);
  }

  toOnnx(g: OnnxGraph, x: string): string {
    const out = onnxChain(g, x, this.conv1, this.bn1, this.relu, this.conv2, this.bn2, this.relu, this.conv3, this.bn3);
    return onnxResidual(g, this, out, x, this.downsample, this.relu);
  }

  /** For foldBatchNorm_: the pairs forward chains. */
  convBnPairs(): Array<[string, string]> {
    return [["conv1", "bn1"], ["conv2", "bn2"], ["conv3", "bn3"]];
  }
}

/** relu(out + shortcut(x)), freeing `out`, the shortcut and the sum. */
function residual(out: Tensor, x: Tensor, downsample: Sequential | null, relu: ReLU): Tensor {
  const identity = downsample ? downsample.forward(x) : x;
  const sum = out.add(identity);
  out.dispose();
  if (identity !== x) identity.dispose();
  return consume(sum, (t) => relu.forward(t));
}

/** The ONNX form of residual(): Add, then the ReLU. */
function onnxResidual(g: OnnxGraph, block: Module, out: string, x: string, downsample: Sequential | null, relu: ReLU): string {
  const identity = downsample ? downsample.toOnnx(g, x) : x;
  return relu.toOnnx(g, g.op(block, "Add", [out, identity]));
}

type Block = BasicBlock | Bottleneck;
type BlockClass = (new (s: BlockSpec) => Block) & { expansion: number };

const LAYOUT: Record<ResNetDepth, { block: BlockClass; layers: [number, number, number, number] }> = {
  18: { block: BasicBlock, layers: [2, 2, 2, 2] },
  34: { block: BasicBlock, layers: [3, 4, 6, 3] },
  50: { block: Bottleneck, layers: [3, 4, 6, 3] },
  101: { block: Bottleneck, layers: [3, 4, 23, 3] },
};

/**
 * torchvision's `replace_stride_with_dilation` for a wanted output stride: which of layer2..4 trade
 * their stride 2 for dilation (OS32 = none, OS16 = layer4, OS8 = layer3 and layer4).
 */
export function replaceStrideWithDilation(outputStride: OutputStride): [boolean, boolean, boolean] {
  if (outputStride === 8) return [false, true, true];
  if (outputStride === 16) return [false, false, true];
  if (outputStride === 32) return [false, false, false];
  throw new Error(`output stride must be 8, 16 or 32, got ${String(outputStride)}`);
}

/** The backbone without avgpool/fc (what torchvision's IntermediateLayerGetter keeps). */
export class ResNet extends Module implements ConvBnPairs {
  readonly conv1: Conv2d;
  readonly bn1: Layer;
  readonly relu = new ReLU(true); // torchvision: nn.ReLU(inplace=True)
  readonly maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  /** Channels of layer1, layer3 and layer4 outputs, for sizing the heads. */
  readonly channels: { low: number; aux: number; out: number };

  constructor(opts: ResNetOptions) {
    super();
    const { block, layers } = LAYOUT[opts.depth] ?? badDepth(opts.depth);
    const w = opts.width;
    this.conv1 = new Conv2d(opts.inChannels, w, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = makeNorm(w, opts.norm);
    const dilate = replaceStrideWithDilation(opts.outputStride);
    const builder = new LayerBuilder(block, w, opts.norm);
    this.layer1 = builder.make(w, layers[0], 1, false);
    this.layer2 = builder.make(w * 2, layers[1], 2, dilate[0]);
    this.layer3 = builder.make(w * 4, layers[2], 2, dilate[1]);
    this.layer4 = builder.make(w * 8, layers[3], 2, dilate[2], opts.multiGrid);
    const e = block.expansion;
    this.channels = { low: w * e, aux: w * 4 * e, out: w * 8 * e };
    initResNet(this);
  }

  forward(x: Tensor): BackboneFeatures {
    const stem = chain(x, this.conv1, this.bn1, this.relu, this.maxpool);
    const low = consume(stem, (t) => this.layer1.forward(t));
    const aux = chain(low, this.layer2, this.layer3);
    const out = this.layer4.forward(aux);
    return { low, aux, out };
  }

  toOnnxFeatures(g: OnnxGraph, x: string): OnnxFeatures {
    const low = onnxChain(g, x, this.conv1, this.bn1, this.relu, this.maxpool, this.layer1);
    const aux = onnxChain(g, low, this.layer2, this.layer3);
    return { low, aux, out: this.layer4.toOnnx(g, aux) };
  }

  /** For foldBatchNorm_: the stem's conv feeds its norm. */
  convBnPairs(): Array<[string, string]> {
    return [["conv1", "bn1"]];
  }
}

function badDepth(depth: number): never {
  throw new Error(`ResNet depth must be one of 18, 34, 50, 101, got ${depth}`);
}

/** torchvision's ResNet._make_layer, with its running inplanes/dilation state. */
class LayerBuilder {
  inplanes: number;
  dilation = 1;

  constructor(private readonly block: BlockClass, width: number, private readonly norm: NormOptions) {
    this.inplanes = width;
  }

  /** `grid`: multi-grid multipliers of the stage's final rate, one per block (see multiGridRates). */
  make(planes: number, blocks: number, stride: number, dilate: boolean, grid: readonly number[] | null = null): Sequential {
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    const rates = grid ? multiGridRates(grid, blocks, this.dilation) : null;
    const outPlanes = planes * this.block.expansion;
    const downsample = stride !== 1 || this.inplanes !== outPlanes
      ? new Sequential(conv1x1(this.inplanes, outPlanes, stride), makeNorm(outPlanes, this.norm))
      : null;
    const list: Block[] = [new this.block({
      inplanes: this.inplanes, planes, stride, dilation: previousDilation, downsample, norm: this.norm, gridDilation: rates?.[0],
    })];
    this.inplanes = outPlanes;
    for (let i = 1; i < blocks; i++) {
      list.push(new this.block({
        inplanes: this.inplanes, planes, stride: 1, dilation: this.dilation, downsample: null, norm: this.norm, gridDilation: rates?.[i],
      }));
    }
    return new Sequential(...list);
  }
}

/**
 * Multi-grid (Chen et al. 2017 §3.2, as in deeplab-pytorch): block i of the last stage uses rate
 * base × grid[i] on its strided/dilated 3x3 conv. Only dilations change, so parameter names and counts
 * stay torchvision's.
 */
export function multiGridRates(grid: readonly number[], blocks: number, base: number): number[] {
  if (grid.length !== blocks) {
    throw new Error(`multiGrid has ${grid.length} rates but the last stage has ${blocks} blocks`);
  }
  if (grid.some((g) => !Number.isInteger(g) || g < 1)) throw new Error(`multiGrid rates must be positive integers, got [${grid.join(", ")}]`);
  return grid.map((g) => base * g);
}

/** torchvision's ResNet init: kaiming-normal (fan_out, relu) convs, norm weight 1 and bias 0. */
function initResNet(model: ResNet): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: "fan_out", nonlinearity: "relu" });
  }
}
