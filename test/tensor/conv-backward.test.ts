// The backward of dilated convolutions routed around oneDNN's gemm fallback (native/src/conv_backward.cc):
// which passes are routed (oneDNN's own choice, asked per shape), that nothing else is, and the output and
// gradients against libtorch's float64 convolution, which is never routed (float32 only), for each mix of
// routed passes, channels-last and NCHW, with and without bias and with an input that needs no gradient.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  F, autocast, manualSeed, noGrad, packedConvolutionsAvailable, randn, tidy, type Tensor,
} from "../../src/tensor/index.js";

const skip = packedConvolutionsAvailable() ? false
  : "this addon was built without oneDNN's headers (Debian: libdnnl-dev): nothing is routed";

interface Case {
  name: string; cin: number; cout: number; size: [number, number]; dilation: number; channelsLast: boolean;
  bias: boolean; inputGrad: boolean; route: { data: boolean; weights: boolean };
}
// The routes are oneDNN 2.6's choices on this project's AVX-512 machine (its log names "x64:gemm:jit").
const CASES: Case[] = [
  { name: "both passes, channels-last, 24x40 at rate 18", cin: 64, cout: 8, size: [24, 40], dilation: 18,
    channelsLast: true, bias: true, inputGrad: true, route: { data: true, weights: true } },
  { name: "both passes, NCHW, 32x32 at rate 24", cin: 16, cout: 8, size: [32, 32], dilation: 24,
    channelsLast: false, bias: false, inputGrad: true, route: { data: true, weights: true } },
  { name: "input gradient only, 40x40 at rate 18", cin: 64, cout: 8, size: [40, 40], dilation: 18,
    channelsLast: true, bias: true, inputGrad: true, route: { data: true, weights: false } },
  { name: "weight gradient only, 32x32 at rate 18", cin: 16, cout: 8, size: [32, 32], dilation: 18,
    channelsLast: true, bias: false, inputGrad: true, route: { data: false, weights: true } },
  { name: "an input that needs no gradient, 24x40 at rate 24", cin: 64, cout: 32, size: [24, 40], dilation: 24,
    channelsLast: true, bias: true, inputGrad: false, route: { data: true, weights: true } },
];

function operands(c: Case, dtype: "float32" | "float64"): { x: Tensor; w: Tensor; b: Tensor | null; g: Tensor } {
  manualSeed(5);
  const layout = (t: Tensor): Tensor => (c.channelsLast ? t.contiguous("channelsLast") : t);
  const x = layout(randn([2, c.cin, ...c.size]).to(dtype)).requiresGrad_(c.inputGrad);
  const w = layout(randn([c.cout, c.cin, 3, 3]).mul(0.1).to(dtype)).requiresGrad_(true);
  const b = c.bias ? randn([c.cout]).to(dtype).requiresGrad_(true) : null;
  const g = randn([2, c.cout, ...c.size]).to(dtype);
  return { x, w, b, g };
}

for (const c of CASES) {
  test(`conv2d backward routed, ${c.name}: oneDNN's route, libtorch's float64 gradients`, { skip }, () => tidy(() => {
    const opts = { padding: c.dilation, dilation: c.dilation };
    const got = operands(c, "float32"), want = operands(c, "float64");
    assert.deepEqual(F.conv2dBackwardRoute(got.x, got.w, opts), c.route, "passes routed");
    assert.deepEqual(F.conv2dBackwardRoute(want.x, want.w, opts), { data: false, weights: false }, "float64 is not");
    const results = [got, want].map(({ x, w, b, g }) => {
      const y = F.conv2d(x, w, b, opts);
      y.backward(g);
      return { y, gx: x.grad, gw: w.grad!, gb: b?.grad ?? null };
    });
    const [ours, reference] = results;
    const relative = (a: Tensor, b: Tensor): number => a.to("float64").sub(b).abs().max().item() / b.abs().max().item();
    assert.ok(relative(ours.y, reference.y) <= 1e-6, "output");
    assert.ok(relative(ours.gw, reference.gw) <= 1e-5, `weight gradient: ${relative(ours.gw, reference.gw)}`);
    if (!c.inputGrad) assert.equal(ours.gx, null, "no input gradient asked, none made");
    else assert.ok(relative(ours.gx!, reference.gx!) <= 1e-5, `input gradient: ${relative(ours.gx!, reference.gx!)}`);
    if (c.bias) assert.ok(relative(ours.gb!, reference.gb!) <= 1e-5, "bias gradient");
  }));
}

test("conv2d backward: nothing routed without a gradient, dilation, stride 1, float32 or outside autocast", { skip },
  () => tidy(() => {
    const none = { data: false, weights: false };
    const x = randn([2, 64, 24, 40]).contiguous("channelsLast").requiresGrad_(true);
    const w = randn([8, 64, 3, 3]).contiguous("channelsLast").requiresGrad_(true);
    const rate18 = { padding: 18, dilation: 18 };
    assert.deepEqual(F.conv2dBackwardRoute(x, w, rate18), { data: true, weights: true }, "the routed shape");
    assert.deepEqual(noGrad(() => F.conv2dBackwardRoute(x, w, rate18)), none, "grad mode off");
    assert.deepEqual(F.conv2dBackwardRoute(x.detach(), w.detach(), rate18), none, "nothing requires grad");
    assert.deepEqual(autocast("cpu", "bfloat16", () => F.conv2dBackwardRoute(x, w, rate18)), none, "autocast");
    assert.deepEqual(F.conv2dBackwardRoute(x, w, { padding: 1 }), none, "no dilation");
    assert.deepEqual(F.conv2dBackwardRoute(x, w, { ...rate18, stride: 2 }), none, "stride 2");
    assert.deepEqual(F.conv2dBackwardRoute(x, w, { padding: 40, dilation: 18 }), none, "padding beyond the adjoint's");
    const empty = x.narrow(0, 0, 0);
    assert.deepEqual(F.conv2dBackwardRoute(empty, w, rate18), none, "an empty batch: libtorch's convolution");
    assert.deepEqual(F.conv2dBackwardRoute(x.narrow(1, 0, 63), w, rate18), none, "a channel mismatch: libtorch's error");
    assert.throws(() => F.conv2d(x.narrow(1, 0, 63), w, null, rate18), /channels/, "which says what is wrong");
  }));
