// Conv + BatchNorm folding (src/nn/fold.ts) on the DeepLab models: the folded eval model gives the
// unfolded eval model's logits (within float rounding) for every architecture variant, no
// BatchNorm2d is left behind, and GroupNorm models are left untouched. BatchNorm statistics and
// affine parameters are randomised first: with their defaults (mean 0, var 1, gamma 1, beta 0) a
// wrong fold would go unnoticed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DeepLabV3, defaultModelConfig, type ModelConfig } from "../../src/models/index.js";
import { BatchNorm2d, Conv2d, GroupNorm, Identity, Module, Sequential, foldBatchNorm_, fuseConvBn_ } from "../../src/nn/index.js";
import { Generator, F, noGrad, rand, randn, tidy, type Tensor } from "../../src/tensor/index.js";
import { loadSafetensors } from "../../src/tensor/safetensors.js";

const fixtures = new URL("../../../test/fixtures/models/", import.meta.url);

interface PyConfig {
  depth: 18 | 50; width: number; in_channels: number; classes: number; output_stride: 8 | 16; rates: number[];
  multi_grid: number[] | null; aux: boolean; decoder: boolean; aspp_channels: number; low_level_channels: number;
  norm: "batch" | "group"; groups?: number;
}

function fixtureConfig(name: string): ModelConfig {
  const c = (JSON.parse(readFileSync(new URL(`tiny_${name}.json`, fixtures), "utf8")) as { config: PyConfig }).config;
  return {
    ...defaultModelConfig, arch: c.decoder ? "deeplabv3plus" : "deeplabv3", backbone: c.depth, width: c.width, inChannels: c.in_channels,
    numClasses: c.classes, outputStride: c.output_stride, atrousRates: c.rates, multiGrid: c.multi_grid, auxLoss: c.aux,
    asppChannels: c.aspp_channels, lowLevelChannels: c.low_level_channels, norm: c.norm, normGroups: c.groups ?? 32,
  };
}

const tiny: Partial<ModelConfig> = { width: 4, asppChannels: 8, lowLevelChannels: 6, inChannels: 1, numClasses: 4 };

/** Every architecture variant: torchvision fixtures (with their weights) and built tiny models. */
const CASES: Array<{ name: string; config: ModelConfig; weights?: string }> = [
  { name: "fixture v3 R18 OS8 aux", config: fixtureConfig("r18_os8_aux"), weights: "r18_os8_aux" },
  { name: "fixture v3+ R50 OS16 multi-grid", config: fixtureConfig("r50_os16_mg_plus"), weights: "r50_os16_mg_plus" },
  { name: "v3+ R18 OS16 (acdc-cpu's architecture)", config: { ...defaultModelConfig, ...tiny, arch: "deeplabv3plus", backbone: 18, outputStride: 16 } },
  { name: "v3+ R18 OS8", config: { ...defaultModelConfig, ...tiny, arch: "deeplabv3plus", backbone: 18, outputStride: 8 } },
  { name: "v3 R50 OS8 aux", config: { ...defaultModelConfig, ...tiny, arch: "deeplabv3", backbone: 50, outputStride: 8, auxLoss: true } },
  { name: "v3 R50 OS16", config: { ...defaultModelConfig, ...tiny, arch: "deeplabv3", backbone: 50, outputStride: 16 } },
];

/** Random but plausible BatchNorm state (as after training): gamma, beta, running mean and variance. */
function randomiseBatchNorm(model: Module, seed: number): void {
  const g = new Generator(seed);
  noGrad(() => tidy(() => {
    for (const m of model.modules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      const n = m.numFeatures;
      m.weight!.copy_(rand([n], { generator: g }).mul(1.5).add(0.25));
      m.bias!.copy_(randn([n], { generator: g }).mul(0.2));
      m.runningMean!.copy_(randn([n], { generator: g }).mul(0.3));
      m.runningVar!.copy_(rand([n], { generator: g }).mul(2).add(0.2));
    }
  }));
}

function count(model: Module, kind: new (...a: never[]) => Module): number {
  return model.modules().filter((m) => m instanceof kind).length;
}

function relDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tidy(() => a.sub(b).abs().max().item() / Math.max(1, b.abs().max().item()));
}

for (const c of CASES) {
  test(`folding BatchNorm into convs keeps the eval logits: ${c.name}`, () => {
    const model = new DeepLabV3(c.config);
    const weights = c.weights ? loadSafetensors(new URL(`tiny_${c.weights}.weights.safetensors`, fixtures).pathname).tensors : null;
    try {
      if (weights) model.loadStateDict(weights);
      randomiseBatchNorm(model, 7);
      model.eval();
      const bns = count(model, BatchNorm2d);
      assert.ok(bns > 10, `the model has BatchNorm layers (${bns})`);
      noGrad(() => tidy(() => {
        const inputs = [randn([2, c.config.inChannels, 48, 40], { generator: new Generator(1) }), randn([1, c.config.inChannels, 33, 57], { generator: new Generator(2) })];
        const before = inputs.map((x) => model.forward(x, true));
        assert.equal(foldBatchNorm_(model), bns, "every conv+BN pair folded");
        assert.equal(count(model, BatchNorm2d), 0, "no BatchNorm2d left");
        assert.ok(!model.stateDict().has("backbone.bn1.running_mean"), "BatchNorm keys leave the state dict");
        assert.ok(model.stateDict().has("backbone.conv1.bias"), "the stem conv gained a bias");
        inputs.forEach((x, i) => {
          const after = model.forward(x, true);
          const d = relDiff(after.out, before[i].out);
          assert.ok(d <= 1e-4, `logits differ by ${d} (relative to their largest magnitude)`);
          if (c.config.auxLoss) assert.ok(relDiff(after.aux!, before[i].aux!) <= 1e-4, "aux logits differ");
        });
        assert.equal(foldBatchNorm_(model), 0, "a second fold finds nothing");
      }));
    } finally {
      model.dispose();
      for (const t of weights?.values() ?? []) t.dispose();
    }
  });
}

test("GroupNorm models are left untouched by the fold", () => {
  const model = new DeepLabV3(fixtureConfig("r18_os16_gn"));
  try {
    model.eval();
    const before = new Map([...model.stateDict()].map(([k, t]) => [k, t.clone().keep()]));
    const groupNorms = count(model, GroupNorm);
    assert.equal(foldBatchNorm_(model), 0);
    assert.equal(count(model, GroupNorm), groupNorms);
    const after = model.stateDict();
    assert.deepEqual([...after.keys()], [...before.keys()]);
    for (const [k, t] of before) {
      assert.ok(t.equal(after.get(k)!), `${k} changed`);
      t.dispose();
    }
  } finally {
    model.dispose();
  }
});

test("fuseConvBn_ against BatchNorm applied by hand: conv bias, groups, no-affine BN", () => {
  const g = new Generator(3);
  for (const o of [{ bias: true, groups: 1, affine: true }, { bias: false, groups: 2, affine: false }]) {
    noGrad(() => tidy(() => {
      const conv = new Conv2d(4, 6, 3, { padding: 1, bias: o.bias, groups: o.groups });
      const bn = new BatchNorm2d(6, { affine: o.affine, eps: 1e-3 });
      const seq = new Sequential(conv, bn);
      bn.runningMean!.copy_(randn([6], { generator: g }));
      bn.runningVar!.copy_(rand([6], { generator: g }).add(0.5));
      seq.eval();
      const x = randn([2, 4, 9, 7], { generator: g });
      // BatchNorm written out: (conv(x) - mean) / sqrt(var + eps) * gamma + beta.
      const y = conv.forward(x);
      const view = (t: Tensor): Tensor => t.view([1, 6, 1, 1]);
      let want = y.sub(view(bn.runningMean!)).div(view(bn.runningVar!.add(1e-3).sqrt()));
      if (o.affine) want = want.mul(view(bn.weight!)).add(view(bn.bias!));
      assert.equal(foldBatchNorm_(seq), 1);
      assert.ok(seq.at(1) instanceof Identity);
      assert.ok(conv.bias, "the folded conv has a bias");
      assert.ok(!conv.weight.requiresGrad, "folded weights are inference-only");
      const got = seq.forward(x);
      assert.ok(got.sub(want).abs().max().item() < 1e-5, "folded conv differs from conv + BN");
      assert.ok(F.conv2d(x, conv.weight, conv.bias, { padding: 1, groups: o.groups }).equal(got));
      seq.dispose();
    }));
  }
});

test("folding refuses a model in training mode and a mismatched pair", () => {
  const seq = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3));
  const other = new BatchNorm2d(5);
  try {
    assert.throws(() => foldBatchNorm_(seq), /training mode; call eval\(\) first/);
    other.eval();
    assert.throws(() => fuseConvBn_(seq.at(0) as Conv2d, other), /eval-mode BatchNorm2d .* over its output channels/);
    seq.eval();
    assert.equal(foldBatchNorm_(seq), 1);
  } finally {
    seq.dispose();
    other.dispose();
  }
});
