// autocast (torch.autocast on libtorch): which ops run in bfloat16, values computed by hand
// (bfloat16 keeps 8 significant bits: 1/3 becomes 0.333984375), gradients reaching float32 leaves,
// nesting and restoring after a throw, the down-cast weight cache cleared on leaving the region, and our
// float32 rule for bilinear upsampling (native/src/autocast.cc).
import { test } from "node:test";
import assert from "node:assert/strict";
import { autocast, F, full, noGrad, ones, type Tensor } from "../../src/tensor/index.js";

const THIRD_BF16 = 0.333984375; // 1/3 rounded to bfloat16 (0x3EAB)
const first = (t: Tensor): number => (t.to("float32").toArray() as Float32Array)[0];

test("a convolution under autocast runs in bfloat16; outside it, in float32", () => {
  const x = ones([1, 1, 3, 3]);
  const w = full([1, 1, 1, 1], 1 / 3);
  const inside = autocast("cpu", "bfloat16", () => F.conv2d(x, w));
  assert.equal(inside.dtype, "bfloat16");
  assert.equal(first(inside), THIRD_BF16);
  const outside = F.conv2d(x, w);
  assert.equal(outside.dtype, "float32");
  assert.equal(first(outside), Math.fround(1 / 3));
  // Elementwise ops are not on autocast's list: float32 stays float32.
  assert.equal(autocast("cpu", "bfloat16", () => x.add(w)).dtype, "float32");
});

test("gradients reach the float32 weights through the bfloat16 convolution", () => {
  const x = ones([1, 1, 3, 3]);
  const w = full([1, 1, 1, 1], 1 / 3, { requiresGrad: true });
  autocast("cpu", "bfloat16", () => F.conv2d(x, w)).to("float32").sum().backward();
  assert.ok(w.grad);
  assert.equal(w.grad.dtype, "float32");
  assert.equal(first(w.grad), 9); // d sum(w * x) / dw = sum(x) over nine ones
});

test("leaving the region clears the cache of down-cast weights (an updated weight is used)", () => {
  const x = ones([1, 1, 3, 3]);
  const w = full([1, 1, 1, 1], 1 / 3, { requiresGrad: true });
  assert.equal(first(autocast("cpu", "bfloat16", () => F.conv2d(x, w))), THIRD_BF16);
  noGrad(() => w.mul_(3)); // what an optimiser step does in place
  assert.equal(first(autocast("cpu", "bfloat16", () => F.conv2d(x, w))), 1);
});

test("nested regions restore the outer state; a throw restores it too", () => {
  const x = ones([1, 1, 2, 2]), w = ones([1, 1, 1, 1]);
  autocast("cpu", "bfloat16", () => {
    autocast("cpu", "bfloat16", () => F.conv2d(x, w));
    assert.equal(F.conv2d(x, w).dtype, "bfloat16", "the outer region is still on after the inner one ends");
  });
  assert.throws(() => autocast("cpu", "bfloat16", () => { throw new Error("inside"); }), /inside/);
  assert.equal(F.conv2d(x, w).dtype, "float32");
});

test("bilinear upsampling under autocast runs in float32 (our rule; libtorch 1.13 has none)", () => {
  // [0, 1/3] in bfloat16, upsampled 2 -> 4 (align_corners=False): weights 0.25 / 0.75 give 0.25048828125
  // exactly in float32, which bfloat16's 8 significant bits would round to 0.25.
  const x = full([1, 1, 1, 2], 1 / 3).to("bfloat16");
  noGrad(() => x.narrow(3, 0, 1).fill_(0));
  x.requiresGrad_(true);
  const size: [number, number] = [1, 4];
  const up = autocast("cpu", "bfloat16", () => F.interpolate(x, { size, mode: "bilinear", alignCorners: false }));
  assert.equal(up.dtype, "float32");
  assert.deepEqual(Array.from(up.toArray() as Float32Array), [0, THIRD_BF16 / 4, THIRD_BF16 * 0.75, THIRD_BF16]);
  const byScale = autocast("cpu", "bfloat16",
    () => F.interpolate(x, { scaleFactor: [1, 2], mode: "bilinear", alignCorners: false }));
  assert.equal(byScale.dtype, "float32", "the scale-factor overload follows the same rule");
  up.sum().backward();
  assert.ok(x.grad);
  assert.equal(x.grad.dtype, "bfloat16", "the gradient comes back in the input's dtype");
  assert.deepEqual(Array.from(x.grad.to("float32").toArray() as Float32Array), [2, 2]); // 1 + 0.75 + 0.25 each
  // Outside autocast the op keeps its input's dtype, and nearest is not on the rule.
  assert.equal(F.interpolate(x, { size, mode: "bilinear", alignCorners: false }).dtype, "bfloat16");
  assert.equal(autocast("cpu", "bfloat16", () => F.interpolate(x, { size, mode: "nearest" })).dtype, "bfloat16");
});
