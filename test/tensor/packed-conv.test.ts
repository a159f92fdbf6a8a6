// Packed inference convolutions (native/src/onednn.cc, src/tensor/packed-conv.ts, Conv2d.packForInference_)
// against libtorch's own convolution in float64 (the reference) and against sums by hand: the direct
// kernels, oneDNN's Winograd kernel for 3x3 stride 1 (on CPUs that have it), strides, dilation,
// padding, no bias, one-channel and NCHW input; then the Conv2d switch: packed only in eval mode
// without grad, libtorch's convolution (with autograd) otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  F, PackedConvolution, arange, noGrad, ones, packedConvolutionsAvailable, randn, type Tensor,
} from "../../src/tensor/index.js";
import { Conv2d, packConvolutions_, Sequential, ReLU } from "../../src/nn/index.js";

const skip = packedConvolutionsAvailable() ? false
  : "this addon was built without oneDNN's headers (Debian: libdnnl-dev, then node scripts/build-addon.mjs)";
const cpuFlags = ((): string => {
  try {
    return /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
  } catch {
    return "";
  }
})();
// oneDNN 2.x has its float32 Winograd kernels for AVX-512 only.
const hasWinogradKernel = /\bavx512f\b/.test(cpuFlags);

interface Case { name: string; cin: number; cout: number; k: number; stride: number; padding: number; dilation: number;
  bias: boolean; size: [number, number]; winogradShape: boolean }
const CASES: Case[] = [
  { name: "3x3 stride 1 (Winograd's shape)", cin: 32, cout: 48, k: 3, stride: 1, padding: 1, dilation: 1, bias: true,
    size: [20, 17], winogradShape: true },
  { name: "3x3 stride 2", cin: 16, cout: 32, k: 3, stride: 2, padding: 1, dilation: 1, bias: true, size: [21, 18],
    winogradShape: false },
  { name: "3x3 dilation 2 (ASPP, OS16 stage)", cin: 32, cout: 16, k: 3, stride: 1, padding: 2, dilation: 2, bias: false,
    size: [13, 11], winogradShape: false },
  { name: "1x1 stride 2, no bias (shortcut)", cin: 24, cout: 40, k: 1, stride: 2, padding: 0, dilation: 1, bias: false,
    size: [16, 15], winogradShape: false },
  { name: "7x7 stride 2 on one channel (stem)", cin: 1, cout: 16, k: 7, stride: 2, padding: 3, dilation: 1, bias: false,
    size: [32, 28], winogradShape: false },
];

function reference(x: Tensor, w: Tensor, b: Tensor | null, c: Case): Tensor {
  return F.conv2d(x.to("float64"), w.to("float64"), b?.to("float64") ?? null,
    { stride: c.stride, padding: c.padding, dilation: c.dilation });
}

function maxAbs(t: Tensor): number {
  return t.abs().max().item();
}

for (const c of CASES) {
  test(`packed convolution, ${c.name}: libtorch's float64 result, channels-last, both kernels`, { skip }, () => {
    const w = randn([c.cout, c.cin, c.k, c.k]).mul(Math.sqrt(2 / (c.cin * c.k * c.k)));
    const b = c.bias ? randn([c.cout]).mul(0.1) : null;
    const x = randn([3, c.cin, ...c.size]);
    const want = reference(x, w, b, c);
    const scale = maxAbs(want);
    for (const winograd of [false, true]) {
      const pack = PackedConvolution.create(w, b, { stride: [c.stride, c.stride], padding: [c.padding, c.padding],
        dilation: [c.dilation, c.dilation], winograd })!;
      for (const input of [x.contiguous("channelsLast"), x.contiguous()]) {
        const y = pack.forward(input);
        assert.deepEqual(y.shape, want.shape);
        assert.ok(y.isContiguous("channelsLast"));
        assert.equal(y.requiresGrad, false);
        const err = maxAbs(y.to("float64").sub(want)) / scale;
        // Direct: float32 rounding (~1e-7 relative). Winograd's transforms lose more (~1e-6 measured).
        assert.ok(err < (winograd ? 2e-5 : 2e-6), `${winograd ? "winograd" : "direct"}: relative error ${err}`);
      }
      const usedWinograd = pack.implementation.includes("wino");
      assert.equal(usedWinograd, winograd && c.winogradShape && hasWinogradKernel, pack.implementation);
    }
  });
}

test("packed 3x3 convolution of ones over 0..15 sums each 3x3 neighbourhood (by hand)", { skip }, () => {
  // x[i, j] = 4i + j on a 4x4 grid, zero padding 1; the output at (i, j) is the sum of the neighbours.
  const x = arange(0, 16).reshape([1, 1, 4, 4]).to("float32");
  const expected = [10, 18, 24, 18, 27, 45, 54, 39, 51, 81, 90, 63, 42, 66, 72, 50];
  for (const winograd of [false, true]) {
    const pack = PackedConvolution.create(ones([1, 1, 3, 3]), null, { stride: [1, 1], padding: [1, 1],
      dilation: [1, 1], winograd })!;
    const got = Array.from(pack.forward(x).toArray() as Float32Array);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `${i}: ${v} vs ${expected[i]}`));
  }
});

test("a packed convolution refuses input it cannot take, saying what it needs", { skip }, () => {
  const pack = PackedConvolution.create(randn([8, 4, 3, 3]), null, { stride: [1, 1], padding: [1, 1], dilation: [1, 1],
    winograd: true })!;
  assert.throws(() => pack.forward(randn([1, 3, 8, 8])), /\[N, 4, H, W\]/);
  assert.throws(() => pack.forward(randn([1, 4, 8, 8]).to("float64")), /float32 CPU/);
  assert.deepEqual(pack.forward(randn([0, 4, 8, 8])).shape, [0, 8, 8, 8]); // an empty batch is no error
});

test("Conv2d runs its pack only in eval mode without grad; training and grad use libtorch's (with autograd)", { skip },
  () => {
    const conv = new Conv2d(16, 16, 3, { padding: 1 });
    const model = new Sequential(conv, new ReLU());
    const x = randn([2, 16, 12, 12]);
    const before = noGrad(() => model.forward(x));
    model.eval();
    assert.equal(packConvolutions_(model, { winograd: false }), 1);
    assert.equal(conv.packedImplementation, "");
    // The pack holds a copy: doubling the weights afterwards shows which path ran.
    noGrad(() => conv.weight.mul_(2));
    const packed = noGrad(() => model.forward(x));
    assert.ok(conv.packedImplementation !== "", "the pack ran");
    assert.ok(maxAbs(packed.sub(before)) < 1e-5, "eval + no grad: the packed (old) weights");
    const withGrad = model.forward(x);
    assert.equal(withGrad.requiresGrad, true);
    assert.ok(maxAbs(withGrad.sub(before)) > 0.1, "grad on: libtorch on the current weights");
    withGrad.sum().backward();
    assert.ok(conv.weight.grad !== null);
    model.train();
    assert.ok(maxAbs(noGrad(() => model.forward(x)).sub(before)) > 0.1, "training mode: libtorch");
  });
