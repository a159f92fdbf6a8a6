// toString must print exactly what PyTorch 1.13's repr() prints; the expected strings were
// produced by `repr(...)` of the same tensors in Python PyTorch and pasted here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { arange, tensor, zeros, type Tensor } from "../../src/tensor/index.js";

const cases: [string, () => Tensor, string][] = [
  ["integral floats", () => tensor([[1, 2], [3, 4]]), "tensor([[1., 2.],\n        [3., 4.]])"],
  ["fractions", () => tensor([1.5, 2.25, -3]), "tensor([ 1.5000,  2.2500, -3.0000])"],
  ["scientific", () => tensor([1e-5, 1, 1000]), "tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])"],
  ["bool", () => tensor([true, false]), "tensor([ True, False])"],
  ["int32", () => tensor([1, -20, 300], { dtype: "int32" }), "tensor([  1, -20, 300], dtype=torch.int32)"],
  ["int64 arange", () => arange(5), "tensor([0, 1, 2, 3, 4])"],
  ["scalar", () => tensor(3), "tensor(3.)"],
  ["scalar half-even", () => tensor(0.03125), "tensor(0.0312)"],
  ["empty 2-d", () => zeros([0, 3]), "tensor([], size=(0, 3))"],
  ["empty 1-d", () => zeros([0]), "tensor([])"],
  ["empty int64", () => zeros([0], { dtype: "int64" }), "tensor([], dtype=torch.int64)"],
  ["non-finite", () => tensor([NaN, Infinity, 1]), "tensor([nan, inf, 1.])"],
  ["zeros", () => zeros([3]), "tensor([0., 0., 0.])"],
  ["float16", () => tensor([0.5, 1.25], { dtype: "float16" }), "tensor([0.5000, 1.2500], dtype=torch.float16)"],
  ["float64", () => tensor([1, 2.5], { dtype: "float64" }), "tensor([1.0000, 2.5000], dtype=torch.float64)"],
  ["requires grad", () => tensor([1, 2], { requiresGrad: true }), "tensor([1., 2.], requires_grad=True)"],
  ["grad_fn", () => tensor([1, 2], { requiresGrad: true }).mul(2), "tensor([2., 4.], grad_fn=<MulBackward0>)"],
  ["line wrapping", () => arange(30, { dtype: "float32" }).div(7),
    "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n" +
    "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n" +
    "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n" +
    "        3.8571, 4.0000, 4.1429])"],
  ["summarized 1-d", () => arange(2000, { dtype: "float32" }),
    "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"],
  ["summarized 3-d", () => arange(1200, { dtype: "float32" }).reshape([2, 3, 200]),
    "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9700e+02,\n          1.9800e+02, 1.9900e+02],\n" +
    "         [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 3.9700e+02,\n          3.9800e+02, 3.9900e+02],\n" +
    "         [4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 5.9700e+02,\n          5.9800e+02, 5.9900e+02]],\n\n" +
    "        [[6.0000e+02, 6.0100e+02, 6.0200e+02,  ..., 7.9700e+02,\n          7.9800e+02, 7.9900e+02],\n" +
    "         [8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 9.9700e+02,\n          9.9800e+02, 9.9900e+02],\n" +
    "         [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.1970e+03,\n          1.1980e+03, 1.1990e+03]]])"],
  ["large values", () => tensor([1e9, 2]), "tensor([1.0000e+09, 2.0000e+00])"],
  ["wide integer ratio", () => tensor([1, 5000]), "tensor([1.0000e+00, 5.0000e+03])"],
  ["negative zero", () => tensor([-0, 1.5]), "tensor([-0.0000, 1.5000])"],
  ["round half to even", () => tensor([0.03125, 1.03125, 0.5]), "tensor([0.0312, 1.0312, 0.5000])"],
  ["uint8", () => tensor([0, 255], { dtype: "uint8" }), "tensor([  0, 255], dtype=torch.uint8)"],
];

for (const [name, make, expected] of cases) {
  test(`toString: ${name}`, () => {
    const t = make();
    assert.equal(t.toString(), expected);
    t.dispose();
  });
}

test("toString of a disposed tensor says so instead of throwing", () => {
  const t = zeros([2]);
  t.dispose();
  assert.equal(t.toString(), "tensor(<disposed>)");
});
