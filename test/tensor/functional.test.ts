// Functional ops on inputs small enough to compute by hand (the PyTorch-recorded references for
// conv/batchNorm/interpolate/gridSample/crossEntropy live in test/engine-reference).
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, arange, ones, tensor, zeros, type Tensor } from "../../src/tensor/index.js";

function values(t: Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
}

function close(actual: number[], expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol, `element ${i}: ${actual[i]} vs ${e}`));
}

const grid3 = (): Tensor => arange(9, { dtype: "float32" }).reshape([1, 1, 3, 3]);

test("conv2d: sums, padding, stride, dilation, groups, bias", () => {
  const x = grid3();
  assert.deepEqual(values(F.conv2d(x, ones([1, 1, 2, 2]))), [8, 12, 20, 24]);
  assert.deepEqual(F.conv2d(x, ones([1, 1, 3, 3]), null, { padding: 1 }).shape, [1, 1, 3, 3]);
  assert.deepEqual(values(F.conv2d(x, ones([1, 1, 1, 1]), tensor([1]), { stride: 2 })), [1, 3, 7, 9]);
  assert.deepEqual(values(F.conv2d(x, ones([1, 1, 2, 2]), null, { dilation: 2 })), [0 + 2 + 6 + 8]);
  const two = zeros([1, 2, 2, 2]).add(tensor([1, 10]).reshape([1, 2, 1, 1]));
  assert.deepEqual(values(F.conv2d(two, ones([2, 1, 1, 1]), null, { groups: 2 })), [1, 1, 1, 1, 10, 10, 10, 10]);
  assert.deepEqual(F.conv2d(x, ones([1, 1, 3, 3]), null, { padding: "same" }).shape, [1, 1, 3, 3]);
});

test("convTranspose2d doubles the size with stride 2", () => {
  const y = F.convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, { stride: 2 });
  assert.deepEqual(y.shape, [1, 1, 4, 4]);
  assert.equal(y.sum().item(), 16);
});

test("pooling", () => {
  const x = grid3();
  assert.deepEqual(values(F.maxPool2d(x, { kernelSize: 2, stride: 1 })), [4, 5, 7, 8]);
  assert.deepEqual(values(F.maxPool2d(x, { kernelSize: 2, ceilMode: true })), [4, 5, 7, 8]);
  assert.deepEqual(values(F.avgPool2d(x, { kernelSize: 2, stride: 1 })), [2, 3, 5, 6]);
  assert.deepEqual(values(F.adaptiveAvgPool2d(x, 1)), [4]);
  assert.deepEqual(F.adaptiveAvgPool2d(x, [2, 2]).shape, [1, 1, 2, 2]);
});

test("batchNorm normalises per channel and updates running stats", () => {
  const x = tensor([1, 3, 5, 7]).reshape([4, 1, 1, 1]);
  const rm = zeros([1]), rv = ones([1]);
  const y = F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.5, eps: 0 });
  const sd = Math.sqrt(5); // biased variance of 1,3,5,7 is 5
  close(values(y), [-3 / sd, -1 / sd, 1 / sd, 3 / sd]);
  close(values(rm), [2]); // 0.5*0 + 0.5*4
  close(values(rv), [0.5 + 0.5 * (20 / 3)]); // unbiased variance 20/3
  close(values(F.batchNorm(tensor([4]).reshape([1, 1]), tensor([2]), tensor([4]), tensor([3]), tensor([1]), { eps: 0 })), [4]);
});

test("groupNorm and layerNorm", () => {
  const x = tensor([1, 3, 10, 14]).reshape([1, 2, 2]);
  close(values(F.groupNorm(x, 2, null, null, 0)), [-1, 1, -1, 1]);
  close(values(F.layerNorm(tensor([[0, 2]]), [2], null, null, 0)), [-1, 1]);
});

test("activations and softmax", () => {
  close(values(F.leakyRelu(tensor([-10, 2]), 0.1)), [-1, 2]);
  close(values(F.softmax(tensor([0, Math.log(3)]), 0)), [0.25, 0.75]);
  close(values(F.logSoftmax(tensor([0, 0]), 0)), [-Math.LN2, -Math.LN2]);
  close(values(F.gelu(tensor([0]))), [0]);
});

test("interpolate: nearest and bilinear (both alignCorners)", () => {
  const x = tensor([[0, 1], [2, 3]]).reshape([1, 1, 2, 2]);
  assert.deepEqual(values(F.interpolate(x, { scaleFactor: 2, mode: "nearest" })),
    [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  close(values(F.interpolate(x, { size: [3, 3], mode: "bilinear", alignCorners: true })), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  // alignCorners=false, scale 2 on a row [0, 1]: samples at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped)
  close(values(F.interpolate(tensor([0, 1]).reshape([1, 1, 1, 2]), { scaleFactor: [1, 2], mode: "bilinear" })),
    [0, 0.25, 0.75, 1]);
  assert.throws(() => F.interpolate(x, { size: 4, mode: "nearest", alignCorners: true }), /alignCorners/);
});

test("affineGrid + gridSample with the identity reproduces the input", () => {
  const x = arange(12, { dtype: "float32" }).reshape([1, 1, 3, 4]);
  const theta = tensor([[1, 0, 0], [0, 1, 0]]).reshape([1, 2, 3]);
  const g = F.affineGrid(theta, [1, 1, 3, 4], false);
  close(values(F.gridSample(x, g, { alignCorners: false })), values(x));
  close(values(F.gridSample(x, g, { mode: "nearest", paddingMode: "border" })), values(x));
});

test("losses: crossEntropy (weights, ignoreIndex, smoothing), nll, mse, oneHot", () => {
  const logits = tensor([[0, Math.log(3)], [0, 0]]);
  const target = tensor([1, 0], { dtype: "int64" });
  const l0 = -Math.log(0.75), l1 = Math.LN2;
  close(values(F.crossEntropy(logits, target)), [(l0 + l1) / 2]);
  close(values(F.crossEntropy(logits, target, { reduction: "sum" })), [l0 + l1]);
  close(values(F.crossEntropy(logits, target, { reduction: "none" })), [l0, l1]);
  close(values(F.crossEntropy(logits, target, { weight: tensor([1, 3]) })), [(3 * l0 + l1) / 4]);
  close(values(F.crossEntropy(logits, target, { ignoreIndex: 0 })), [l0]);
  // smoothing 0.2 over 2 classes: target distribution [0.1, 0.9] for sample 0, [0.9, 0.1] for sample 1
  const s0 = -(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75)), s1 = Math.LN2;
  close(values(F.crossEntropy(logits, target, { labelSmoothing: 0.2 })), [(s0 + s1) / 2]);
  close(values(F.nllLoss(F.logSoftmax(logits, 1), target)), [(l0 + l1) / 2]);
  close(values(F.mseLoss(tensor([1, 2]), tensor([3, 2]))), [2]);
  close(values(F.binaryCrossEntropyWithLogits(tensor([0]), tensor([1]))), [Math.LN2]);
  assert.deepEqual(values(F.oneHot(tensor([2, 0], { dtype: "int64" }), 3)), [0, 0, 1, 1, 0, 0]);
  // Channel-first masks of [N, 1, W] labels; 7 (an ignore label) sets no channel.
  const masks = F.oneHotChannels(tensor([[[2, 0, 7]]], { dtype: "uint8" }), 3);
  assert.deepEqual(masks.shape, [1, 3, 3]);
  assert.deepEqual(values(masks.to("float32")), [0, 1, 0, 0, 0, 0, 1, 0, 0]);
});

test("pad: constant, reflect, replicate", () => {
  const x = tensor([1, 2, 3]).reshape([1, 1, 3]);
  assert.deepEqual(values(F.pad(x, [1, 2], "constant", 9)), [9, 1, 2, 3, 9, 9]);
  assert.deepEqual(values(F.pad(x, [2, 1], "reflect")), [3, 2, 1, 2, 3, 2]);
  assert.deepEqual(values(F.pad(x, [1, 1], "replicate")), [1, 1, 2, 3, 3]);
});
