// test/nn/conv — Conv2d skips the taps of a dilated "same" convolution that read only zero padding
// (src/nn/conv.ts, tapsInside): which taps, counted by hand, and the output and both gradients against
// libtorch's dense convolution of the same weights (float64 for the output).
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, manualSeed, randn, tidy, type Tensor } from "../../src/tensor/index.js";
import { Conv2d, tapsInside } from "../../src/nn/conv.js";

test("taps that can reach the input, by hand: none beyond the centre once dilation >= size", () => {
  // (size, kernel, stride, padding, dilation) -> taps kept each side of the centre, null = all
  assert.equal(tapsInside(32, 3, 1, 36, 36), 0, "ASPP rate 36 on 32 px: a 1x1 in effect");
  assert.equal(tapsInside(32, 3, 1, 32, 32), 0, "offset 32 on 32 px reads only padding");
  assert.equal(tapsInside(33, 3, 1, 32, 32), null, "offset 32 on 33 px reaches the last pixel");
  assert.equal(tapsInside(32, 3, 1, 24, 24), null);
  assert.equal(tapsInside(12, 5, 1, 16, 8), 1, "5x5 at dilation 8 on 12 px: offsets 8 kept, 16 not");
  assert.equal(tapsInside(10, 3, 2, 12, 12), null, "stride 2: not a same convolution");
  assert.equal(tapsInside(10, 3, 1, 11, 12), null, "padding other than dilation x (k - 1) / 2");
  assert.equal(tapsInside(10, 4, 1, 12, 8), null, "even kernel");
  assert.equal(tapsInside(10, 1, 1, 0, 1), null, "1x1");
});

interface Case { name: string; size: [number, number]; dilation: number; bias: boolean }
const CASES: Case[] = [
  { name: "rate 36 on 32x32 (both dimensions pruned to the centre)", size: [32, 32], dilation: 36, bias: true },
  { name: "rate 18 on 20x17 (columns pruned, rows kept)", size: [20, 17], dilation: 18, bias: false },
  { name: "rate 12 on 32x32 (nothing pruned)", size: [32, 32], dilation: 12, bias: true },
];

for (const c of CASES) {
  test(`Conv2d, ${c.name}: libtorch's dense result and gradients`, () => tidy(() => {
    manualSeed(31);
    const conv = new Conv2d(6, 5, 3, { padding: c.dilation, dilation: c.dilation, bias: c.bias });
    const x = randn([2, 6, ...c.size]).requiresGrad_(true);
    const dense = (input: Tensor, w: Tensor, b: Tensor | null): Tensor =>
      F.conv2d(input, w, b, { padding: c.dilation, dilation: c.dilation });
    const y = conv.forward(x);
    const reference = dense(x.to("float64"), conv.weight.to("float64"), conv.bias?.to("float64") ?? null);
    const scale = reference.abs().max().item();
    assert.ok(y.to("float64").sub(reference).abs().max().item() <= 1e-6 * scale, "output");
    const g = randn(y.shape);
    y.backward(g);
    const got = [x.grad!.clone(), conv.weight.grad!.clone()];
    x.grad!.zero_();
    const w = conv.weight.detach().requiresGrad_(true);
    dense(x, w, conv.bias?.detach() ?? null).backward(g);
    const want = [x.grad!, w.grad!];
    for (const [i, name] of ["input", "weight"].entries()) {
      const err = got[i].sub(want[i]).abs().max().item() / want[i].abs().max().item();
      assert.ok(err <= 1e-6, `${name} gradient differs by ${err} (relative)`);
    }
  }));
}
