// test/nn — Module discovery (children, parameters, buffers), PyTorch state-dict keys, modes,
// loadStateDict, container behaviour and default initialisation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { empty, manualSeed, memoryStats, ones, randn, tensor, tidy, type Tensor } from "../../src/tensor/index.js";
import * as nn from "../../src/nn/index.js";
import { assertClose, loadCases } from "../engine-reference/fixtures.js";

/** A torchvision-shaped miniature: backbone Sequential, a head with an auxiliary classifier. */
class Head extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn = new nn.BatchNorm2d(4);
  readonly auxClassifier: nn.Conv2d;
  readonly notAParameter: Tensor;

  constructor() {
    super();
    this.conv = new nn.Conv2d(8, 4, 3, { padding: 1, bias: false });
    this.auxClassifier = new nn.Conv2d(4, 2, 1);
    this.notAParameter = ones([1]).keep();
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.auxClassifier.forward(this.bn.forward(this.conv.forward(x))));
  }
}

class Net extends nn.Module {
  readonly backbone = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU());
  readonly classifier = new Head();

  forward(x: Tensor): Tensor {
    return tidy(() => this.classifier.forward(this.backbone.forward(x)));
  }
}

test("state-dict keys are PyTorch's: dotted, snake_case, params before buffers, container indices", () => {
  const net = new Net();
  assert.deepEqual([...net.stateDict().keys()], [
    "backbone.0.weight", "backbone.0.bias",
    "backbone.1.weight", "backbone.1.bias", "backbone.1.running_mean", "backbone.1.running_var", "backbone.1.num_batches_tracked",
    "classifier.conv.weight",
    "classifier.bn.weight", "classifier.bn.bias", "classifier.bn.running_mean", "classifier.bn.running_var", "classifier.bn.num_batches_tracked",
    "classifier.aux_classifier.weight", "classifier.aux_classifier.bias",
  ]);
  assert.deepEqual(net.namedParameters().map(([k]) => k), [
    "backbone.0.weight", "backbone.0.bias", "backbone.1.weight", "backbone.1.bias",
    "classifier.conv.weight", "classifier.bn.weight", "classifier.bn.bias", "classifier.aux_classifier.weight", "classifier.aux_classifier.bias",
  ]);
  assert.deepEqual(net.namedModules().map(([k]) => k), [
    "", "backbone", "backbone.0", "backbone.1", "backbone.2", "classifier", "classifier.conv", "classifier.bn", "classifier.aux_classifier",
  ]);
  // 3*8*9+8 + 8+8 + 8*4*9 + 4+4 + 4*2+2
  assert.equal(net.numParameters(), 224 + 16 + 288 + 8 + 10);
  net.dispose();
});

test("single layers have exactly PyTorch's state-dict keys", () => {
  const expected = new Map(loadCases<{ name: string; state_dict_keys: string[] }>("init").map((c) => [c.name, c.state_dict_keys]));
  const layers: Array<[string, nn.Module]> = [
    ["conv2d_6_8_k3_g2", new nn.Conv2d(6, 8, 3, { groups: 2 })],
    ["linear_10_4", new nn.Linear(10, 4)],
    ["conv_transpose_4_6_k3", new nn.ConvTranspose2d(4, 6, 3)],
    ["batchnorm2d", new nn.BatchNorm2d(4)],
  ];
  for (const [name, m] of layers) {
    assert.deepEqual([...m.stateDict().keys()], expected.get(name), name);
    m.dispose();
  }
});

test("default init follows PyTorch's bounds: U(±1/sqrt(fan_in)) for conv/linear/transposed weights and biases", () => {
  const cases = loadCases<{ name: string; fan_in: number; weight_bound: number }>("init");
  const layers: Record<string, nn.Conv2d | nn.Linear | nn.ConvTranspose2d> = {
    conv2d_6_8_k3_g2: new nn.Conv2d(6, 8, 3, { groups: 2 }),
    linear_10_4: new nn.Linear(10, 4),
    conv_transpose_4_6_k3: new nn.ConvTranspose2d(4, 6, 3),
  };
  for (const c of cases) {
    const layer = layers[c.name];
    if (!layer) continue;
    for (const t of [layer.weight, layer.bias as Tensor]) {
      const v = t.toFloat32Array();
      const maxAbs = Math.max(...v.map(Math.abs));
      assert.ok(maxAbs <= c.weight_bound + 1e-7, `${c.name}: ${maxAbs} within ±${c.weight_bound}`);
      if (v.length >= 40) assert.ok(maxAbs > 0.7 * c.weight_bound, `${c.name}: values spread over the range`);
    }
    layer.dispose();
  }
});

test("same seed, same init calls: weights bit-identical to PyTorch's (Conv2d, Linear, ConvTranspose2d, kaiming, xavier)", () => {
  type E = Parameters<typeof assertClose>[1];
  const c = loadCases<Record<string, E> & { name: string }>("init").find((x) => x.name === "seeded_sequence");
  assert.ok(c);
  manualSeed(0);
  const conv = new nn.Conv2d(2, 3, 3);
  const lin = new nn.Linear(4, 3);
  const convt = new nn.ConvTranspose2d(2, 3, 3);
  const kn = nn.init.kaimingNormal_(empty([4, 2, 3, 3]), { mode: "fan_out", nonlinearity: "relu" });
  const xu = nn.init.xavierUniform_(empty([3, 5]));
  const exact = 0;
  assertClose(conv.weight, c.conv_weight, "conv weight", exact);
  assertClose(conv.bias, c.conv_bias, "conv bias", exact);
  assertClose(lin.weight, c.linear_weight, "linear weight", exact);
  assertClose(lin.bias, c.linear_bias, "linear bias", exact);
  assertClose(convt.weight, c.convt_weight, "conv transpose weight", exact);
  assertClose(convt.bias, c.convt_bias, "conv transpose bias", exact);
  assertClose(kn, c.kaiming_normal_fan_out_relu, "kaiming_normal_", 1e-7);
  assertClose(xu, c.xavier_uniform, "xavier_uniform_", exact);
  for (const t of [kn, xu]) t.dispose();
  for (const m of [conv, lin, convt]) m.dispose();
});

test("nn.init: kaimingNormal_ (fan_out, relu) and xavierUniform_ have the documented spread", () => {
  const w = randn([64, 32, 3, 3]).keep();
  nn.init.kaimingNormal_(w, { mode: "fan_out", nonlinearity: "relu" });
  const std = Math.sqrt(w.square().mean().item());
  const expected = Math.sqrt(2 / (64 * 9));
  assert.ok(Math.abs(std - expected) / expected < 0.03, `std ${std} vs ${expected}`);
  nn.init.xavierUniform_(w);
  const bound = Math.sqrt(6 / (32 * 9 + 64 * 9));
  const v = w.toFloat32Array();
  assert.ok(Math.max(...v.map(Math.abs)) <= bound && Math.max(...v) > 0.95 * bound);
  nn.init.constant_(w, 0.25);
  assert.equal(w.mean().item(), 0.25);
  assert.equal(nn.init.calculateGain("leaky_relu", 0.2), Math.sqrt(2 / 1.04));
  assert.throws(() => nn.init.kaimingUniform_(ones([3])), /at least 2 dimensions/);
  w.dispose();
});

test("train()/eval() reach every descendant; requiresGrad_ freezes; zeroGrad clears", () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  tidy(() => net.forward(randn([2, 3, 5, 5])).sum().backward());
  assert.ok(net.parameters().every((p) => p.grad !== null));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
  net.backbone.requiresGrad_(false);
  assert.equal(net.numParameters(true), 288 + 8 + 10);
  net.dispose();
});

test("parameters and buffers outlive the tidy scope that created the module; forward leaves no tensors", () => {
  const net = tidy(() => new Net());
  assert.ok(net.stateDict().size > 0 && [...net.stateDict().values()].every((t) => !t.isDisposed));
  const x = randn([1, 3, 4, 4]);
  const before = memoryStats().liveTensors;
  tidy(() => { net.forward(x); });
  assert.equal(memoryStats().liveTensors, before);
  x.dispose();
  net.dispose();
});

test("loadStateDict copies values in place; strict reports missing/unexpected keys; shape mismatch is an error", () => {
  const a = new Net();
  const b = new Net();
  const weightBefore = b.classifier.conv.weight;
  b.loadStateDict(a.stateDict());
  assert.equal(b.classifier.conv.weight, weightBefore, "same tensor object (optimisers keep working)");
  for (const [k, t] of a.stateDict()) assert.deepEqual(b.stateDict().get(k)?.toFloat32Array(), t.toFloat32Array(), k);

  const partial = new Map(a.stateDict());
  partial.delete("backbone.0.bias");
  const extra = tensor([1]);
  partial.set("extra.weight", extra);
  assert.throws(() => b.loadStateDict(partial), /missing keys \[backbone\.0\.bias\], unexpected keys \[extra\.weight\]/);
  assert.deepEqual(b.loadStateDict(partial, { strict: false }), { missingKeys: ["backbone.0.bias"], unexpectedKeys: ["extra.weight"] });
  extra.dispose();

  const wrong = new Map(a.stateDict());
  const bad = ones([2, 2]).keep();
  wrong.set("classifier.bn.weight", bad);
  assert.throws(() => b.loadStateDict(wrong), /size mismatch for classifier\.bn\.weight: checkpoint \[2, 2\], model \[4\]/);
  bad.dispose();
  a.dispose();
  b.dispose();
});

test("to(dtype) converts floating-point tensors only and keeps parameters registered", () => {
  const bn = new nn.BatchNorm2d(2);
  bn.to("float16");
  assert.equal(bn.weight?.dtype, "float16");
  assert.equal(bn.runningMean?.dtype, "float16");
  assert.equal(bn.numBatchesTracked?.dtype, "int64");
  assert.deepEqual(bn.namedParameters().map(([k, p]) => [k, p.requiresGrad]), [["weight", true], ["bias", true]]);
  bn.dispose();
});

test("Dropout2d zeroes whole channels in training and is the identity in eval", () => {
  const drop = new nn.Dropout2d(0.5);
  tidy(() => {
    const x = ones([4, 16, 3, 3]);
    const y = drop.forward(x).toFloat32Array();
    let zeroed = 0;
    for (let c = 0; c < 64; c++) {
      const plane = y.subarray(c * 9, c * 9 + 9);
      assert.ok(plane.every((v) => v === 0) || plane.every((v) => v === 2), `channel ${c} all 0 or all 2`);
      if (plane[0] === 0) zeroed++;
    }
    assert.ok(zeroed > 10 && zeroed < 54, `${zeroed} of 64 channels dropped`);
    drop.eval();
    assert.ok(drop.forward(x).toFloat32Array().every((v) => v === 1));
  });
});

test("Sequential/ModuleList index like PyTorch and print like its repr", () => {
  const seq = new nn.Sequential(new nn.Conv2d(1, 2, 3, { bias: false }), new nn.ReLU());
  assert.equal(seq.length, 2);
  assert.ok(seq.at(-1) instanceof nn.ReLU);
  assert.throws(() => seq.at(5), /out of range/);
  assert.equal(seq.toString(), "Sequential(\n  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)\n  (1): ReLU()\n)");
  const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 3)]);
  assert.deepEqual([...list.stateDict().keys()], ["0.weight", "0.bias", "1.weight", "1.bias"]);
  tidy(() => assert.deepEqual(list.at(1).forward(ones([5, 2])).shape, [5, 3]));
  seq.dispose();
  list.dispose();
});

test("layers reject bad configurations and inputs with clear errors", () => {
  assert.throws(() => new nn.Conv2d(3, 8, 3, { groups: 2 }), /divisible by groups/);
  assert.throws(() => new nn.GroupNorm(3, 8), /divisible by num_groups/);
  assert.throws(() => new nn.Dropout(1.5), /between 0 and 1/);
  const bn = new nn.BatchNorm2d(3);
  tidy(() => {
    assert.throws(() => bn.forward(ones([2, 3])), /expected 4D input/);
    assert.throws(() => bn.forward(ones([2, 4, 2, 2])), /expected 3 channels/);
  });
  bn.dispose();
});

test("to({ memoryFormat: channelsLast }) re-lays 4-d weights only; outputs equal the contiguous model's", () => {
  manualSeed(3);
  const net = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(true), new nn.Conv2d(8, 4, 1));
  const x = randn([2, 3, 9, 7]).keep();
  const before = tidy(() => net.forward(x).toFloat32Array());
  const bias = (net.at(0) as nn.Conv2d).bias;
  net.to({ memoryFormat: "channelsLast" });
  const conv = net.at(0) as nn.Conv2d;
  assert.ok(conv.weight.isContiguous("channelsLast") && !conv.weight.isContiguous("contiguous"));
  assert.equal(conv.bias, bias, "1-d parameters are left as they are");
  assert.ok(net.parameters().every((p) => p.requiresGrad), "still parameters");
  tidy(() => {
    const out = net.forward(x);
    assert.ok(out.isContiguous("channelsLast"), "activations follow the weights into NHWC");
    const after = out.toFloat32Array();
    before.forEach((v, i) => assert.ok(Math.abs(v - after[i]) < 1e-5, `element ${i}: ${v} vs ${after[i]}`));
  });
  x.dispose();
  net.dispose();
});

test("to() moves tensors in place: parameters, buffers and gradients keep their identity (float64 too)", async () => {
  const { SGD } = await import("../../src/optim/index.js");
  manualSeed(4);
  const net = new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.BatchNorm2d(3));
  const params = net.parameters(), buffers = net.buffers();
  const opt = new SGD([{ params, lr: 0.1 }], { lr: 0.1, momentum: 0.9 });
  tidy(() => net.forward(randn([2, 2, 5, 5])).sum().backward());
  const values = tidy(() => params.map((p) => p.toArray() as Float32Array));
  net.to("float64");
  net.to({ memoryFormat: "channelsLast" });
  assert.ok(net.parameters().every((p, i) => p === params[i]), "the same Tensor objects");
  assert.ok(net.buffers().every((b, i) => b === buffers[i]));
  assert.ok(params.every((p) => p.dtype === "float64" && !p.isDisposed && p.requiresGrad && p.isLeaf));
  assert.equal((net.at(1) as nn.BatchNorm2d).numBatchesTracked?.dtype, "int64", "integer buffers keep their dtype");
  assert.ok((net.at(0) as nn.Conv2d).weight.isContiguous("channelsLast"));
  tidy(() => {
    params.forEach((p, i) => {
      assert.equal(p.grad?.dtype, "float64", "gradients move with their parameters");
      assert.deepEqual(Array.from(p.toArray() as Float64Array), Array.from(values[i]), "values kept");
    });
  });
  // The optimiser built before to() steps the moved tensors.
  opt.step();
  tidy(() => assert.ok(params.some((p, i) => (p.toArray() as Float64Array)[0] !== values[i][0]), "the step reached the moved parameters"));
  tidy(() => net.forward(randn([1, 2, 5, 5], { dtype: "float64" })).sum().backward());
  opt.disposeState();
  net.dispose();
});
