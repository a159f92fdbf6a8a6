// resnet-stage.ts: benchmark (b) — ResNet-50's layer1 (3 Bottlenecks, 64 -> 256 channels, 56x56,
// batch 2) forward + backward in training mode, written like torchvision's resnet.py.
import { randn, tidy, type Tensor } from "../src/tensor/index.js";
import * as nn from "../src/nn/index.js";
import type { Benchmark } from "./types.js";

class Bottleneck extends nn.Module {
  static readonly expansion = 4;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly conv3: nn.Conv2d;
  readonly bn3: nn.BatchNorm2d;
  readonly relu = new nn.ReLU(true); // as torchvision's Bottleneck
  readonly downsample: nn.Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: nn.Sequential | null = null) {
    super();
    this.conv1 = new nn.Conv2d(inplanes, planes, 1, { bias: false });
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = new nn.Conv2d(planes, planes, 3, { stride, padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(planes);
    this.conv3 = new nn.Conv2d(planes, planes * Bottleneck.expansion, 1, { bias: false });
    this.bn3 = new nn.BatchNorm2d(planes * Bottleneck.expansion);
    this.downsample = downsample;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
      out = this.bn3.forward(this.conv3.forward(out));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return this.relu.forward(out.add(identity));
    });
  }
}

export function resnet50Layer1(): nn.Sequential {
  const downsample = new nn.Sequential(new nn.Conv2d(64, 256, 1, { bias: false }), new nn.BatchNorm2d(256));
  return new nn.Sequential(new Bottleneck(64, 64, 1, downsample), new Bottleneck(256, 64), new Bottleneck(256, 64));
}

export const resnetStageBenchmark: Benchmark = {
  name: "resnet50_layer1_56px_fwd_bwd",
  description: "ResNet-50 layer1 (3 Bottlenecks, 256 ch), batch 2, 56x56, train fwd+bwd",
  iterations: 3,
  warmup: 1,
  setup() {
    const layer = resnet50Layer1().train();
    const x = randn([2, 64, 56, 56]);
    return {
      step() {
        tidy(() => layer.forward(x).mean().backward());
        layer.zeroGrad();
      },
      dispose() {
        layer.dispose();
        x.dispose();
      },
    };
  },
};
