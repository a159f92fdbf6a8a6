// deeplab.ts owns the whole network: DeepLabV3 = backbone + classifier (+ optional aux_classifier on
// layer3), logits upsampled bilinearly to the input size (torchvision's forward), and the plain-data
// ModelConfig that describes an architecture (saved with every checkpoint so a run can be rebuilt).
import { Module, type OnnxGraph } from "../nn/index.js";
import { F } from "../tensor/index.js";
import type { Generator, Tensor } from "../tensor/index.js";
import { defaultAtrousRates } from "./aspp.js";
import { DeepLabHead, DeepLabV3PlusHead, FCNHead } from "./heads.js";
import type { NormKind } from "./norm.js";
import { ResNet, type OutputStride, type ResNetDepth } from "./resnet.js";
import { consume } from "./chain.js";

export interface ModelConfig {
  /** "deeplabv3" (torchvision) or "deeplabv3plus" (adds the low-level decoder). */
  arch: "deeplabv3" | "deeplabv3plus";
  backbone: ResNetDepth;
  inChannels: number;
  numClasses: number;
  outputStride: OutputStride;
  /** Atrous rates of ASPP; null = the paper's for the output stride (6/12/18 at 16, 12/24/36 at 8). */
  atrousRates: number[] | null;
  /** Per-block rate multipliers of layer4, e.g. [1, 2, 4]; null = none (torchvision). */
  multiGrid: number[] | null;
  auxLoss: boolean;
  norm: NormKind;
  normGroups: number;
  /** Stem width (64 = the real ResNet); smaller only for tests and toy runs. */
  width: number;
  asppChannels: number;
  lowLevelChannels: number;
  dropout: number;
}

export const defaultModelConfig: ModelConfig = {
  arch: "deeplabv3",
  backbone: 50,
  inChannels: 1,
  numClasses: 4,
  outputStride: 8,
  atrousRates: null,
  multiGrid: null,
  auxLoss: false,
  norm: "batch",
  normGroups: 32,
  width: 64,
  asppChannels: 256,
  lowLevelChannels: 48,
  dropout: 0.5,
};

export interface DeepLabOutput {
  out: Tensor;
  /** Auxiliary logits from layer3, present when the model has an aux_classifier. */
  aux?: Tensor;
}

type Classifier = DeepLabHead | DeepLabV3PlusHead;

export class DeepLabV3 extends Module {
  readonly backbone: ResNet;
  readonly classifier: Classifier;
  readonly aux_classifier: FCNHead | null;
  readonly config: Readonly<ModelConfig>;

  /** `dropoutGenerator`: random source of every dropout layer (default: libtorch's global one). */
  constructor(config: ModelConfig, opts: { dropoutGenerator?: Generator } = {}) {
    super();
    validateModelConfig(config);
    const norm = { kind: config.norm, groups: config.normGroups };
    this.backbone = new ResNet({
      depth: config.backbone, inChannels: config.inChannels, outputStride: config.outputStride,
      multiGrid: config.multiGrid, norm, width: config.width,
    });
    const ch = this.backbone.channels;
    const head = {
      inChannels: ch.out, numClasses: config.numClasses, rates: config.atrousRates ?? defaultAtrousRates(config.outputStride),
      channels: config.asppChannels, norm, dropout: config.dropout, generator: opts.dropoutGenerator,
    };
    this.classifier = config.arch === "deeplabv3plus"
      ? new DeepLabV3PlusHead({ ...head, lowLevelInChannels: ch.low, lowLevelChannels: config.lowLevelChannels })
      : new DeepLabHead(head);
    this.aux_classifier = config.auxLoss ? new FCNHead(ch.aux, config.numClasses, norm, opts.dropoutGenerator) : null;
    this.config = Object.freeze({ ...config });
  }

  /**
   * Logits at the input size. The aux head runs in training mode (for its loss) or when asked with
   * `withAux` (torchvision always runs it; inference skips it to save a conv on layer3).
   */
  forward(x: Tensor, withAux = false): DeepLabOutput {
    if (x.dim() !== 4 || x.shape[1] !== this.config.inChannels) {
      throw new Error(`DeepLabV3 expects input [N, ${this.config.inChannels}, H, W], got [${x.shape.join(", ")}]`);
    }
    const size: [number, number] = [x.shape[2], x.shape[3]];
    const feats = this.backbone.forward(x);
    const out = consume(this.classifier.forwardFeatures(feats), (l) => upsample(l, size));
    feats.low.dispose();
    feats.out.dispose();
    let aux: Tensor | undefined;
    if (this.aux_classifier && (this.training || withAux)) aux = consume(this.aux_classifier.forward(feats.aux), (l) => upsample(l, size));
    feats.aux.dispose();
    return aux ? { out, aux } : { out };
  }

  /**
   * The inference graph (eval mode: dropout is the identity, the aux head is dropped): logits at the
   * input's size from the value `x` ([N, inChannels, H, W]).
   */
  toOnnx(g: OnnxGraph, x: string): string {
    const logits = this.classifier.toOnnxFeatures(g, this.backbone.toOnnxFeatures(g, x));
    return g.resizeBilinearLike(this, logits, x);
  }

  /**
   * Parameters of the backbone and of everything else (heads), for deeplab-pytorch's
   * "head at 10x lr" parameter groups.
   */
  parameterGroups(): { backbone: Tensor[]; head: Tensor[] } {
    const backbone: Tensor[] = [];
    const head: Tensor[] = [];
    for (const [name, p] of this.namedParameters()) (name.startsWith("backbone.") ? backbone : head).push(p);
    return { backbone, head };
  }
}

function upsample(x: Tensor, size: [number, number]): Tensor {
  if (x.shape[2] === size[0] && x.shape[3] === size[1]) return x;
  return F.interpolate(x, { size, mode: "bilinear", alignCorners: false });
}

/** Rejects architectures that cannot be built, naming the field. */
export function validateModelConfig(c: ModelConfig): void {
  const fail = (field: string, why: string): never => { throw new Error(`model.${field}: ${why}`); };
  if (c.arch !== "deeplabv3" && c.arch !== "deeplabv3plus") fail("arch", `must be deeplabv3 or deeplabv3plus, got ${String(c.arch)}`);
  if (![18, 34, 50, 101].includes(c.backbone)) fail("backbone", `must be 18, 34, 50 or 101, got ${String(c.backbone)}`);
  if (![8, 16, 32].includes(c.outputStride)) fail("outputStride", `must be 8, 16 or 32, got ${String(c.outputStride)}`);
  if (!isPositiveInt(c.inChannels)) fail("inChannels", `must be a positive integer, got ${String(c.inChannels)}`);
  if (!isPositiveInt(c.numClasses) || c.numClasses < 2) fail("numClasses", `must be an integer >= 2, got ${String(c.numClasses)}`);
  if (!isPositiveInt(c.width)) fail("width", `must be a positive integer, got ${String(c.width)}`);
  if (!isPositiveInt(c.asppChannels)) fail("asppChannels", `must be a positive integer, got ${String(c.asppChannels)}`);
  if (!isPositiveInt(c.lowLevelChannels)) fail("lowLevelChannels", `must be a positive integer, got ${String(c.lowLevelChannels)}`);
  if (c.norm !== "batch" && c.norm !== "group") fail("norm", `must be batch or group, got ${String(c.norm)}`);
  if (!isPositiveInt(c.normGroups)) fail("normGroups", `must be a positive integer, got ${String(c.normGroups)}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail("dropout", `must be in [0, 1), got ${String(c.dropout)}`);
  if (c.atrousRates !== null && (!Array.isArray(c.atrousRates) || !c.atrousRates.every(isPositiveInt))) {
    fail("atrousRates", "must be null or a list of positive integers");
  }
  if (c.multiGrid !== null && (!Array.isArray(c.multiGrid) || !c.multiGrid.every(isPositiveInt))) {
    fail("multiGrid", "must be null or a list of positive integers");
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/** torchvision's deeplabv3_resnet50/101(num_classes, aux_loss) with a configurable input. */
export function deeplabv3Resnet(depth: 50 | 101, numClasses: number, opts: Partial<ModelConfig> = {}): DeepLabV3 {
  return new DeepLabV3({ ...defaultModelConfig, backbone: depth, inChannels: 3, numClasses, outputStride: 8, ...opts });
}
