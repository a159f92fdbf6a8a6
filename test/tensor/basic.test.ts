// Creation, arithmetic, broadcasting, reductions, shape ops and dtype round-trips, checked
// against values computed by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  F, arange, cat, eye, fromBytes, fromTypedArray, full, linspace, ones, stack, tensor, where, zeros, type Tensor,
} from "../../src/tensor/index.js";

function values(t: Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
}

function close(actual: number[], expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `element ${i}: ${v} vs ${expected[i]}`));
}

test("creation: shapes, dtypes and fills", () => {
  const z = zeros([2, 3]);
  assert.deepEqual(z.shape, [2, 3]);
  assert.equal(z.dtype, "float32");
  assert.equal(z.device, "cpu");
  assert.equal(z.numel(), 6);
  assert.equal(z.dim(), 2);
  assert.equal(z.size(-1), 3);
  assert.deepEqual(values(ones([2], { dtype: "int32" })), [1, 1]);
  assert.deepEqual(values(full([3], 7)), [7, 7, 7]);
  assert.deepEqual(values(arange(2, 8, 2)), [2, 4, 6]);
  assert.equal(arange(3).dtype, "int64");
  assert.equal(arange(0, 1, 0.25).dtype, "float32");
  close(values(linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(values(eye(2)), [1, 0, 0, 1]);
  assert.deepEqual(tensor([[1, 2], [3, 4]]).shape, [2, 2]);
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
});

test("arithmetic with broadcasting and scalars", () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([10, 20, 30]);
  assert.deepEqual(values(a.add(b)), [11, 22, 33, 14, 25, 36]);
  assert.deepEqual(values(a.sub(b, 0.5)), [-4, -8, -12, -1, -5, -9]);
  assert.deepEqual(values(a.mul(2).add(1)), [3, 5, 7, 9, 11, 13]);
  close(values(a.div(b)), [0.1, 0.1, 0.1, 0.4, 0.25, 0.2]);
  assert.deepEqual(values(a.pow(2)), [1, 4, 9, 16, 25, 36]);
  assert.deepEqual(values(a.neg()), [-1, -2, -3, -4, -5, -6]);
  close(values(tensor([4, 9]).sqrt()), [2, 3]);
  close(values(tensor([0, 1]).exp()), [1, Math.E], 1e-6);
  close(values(tensor([-2, 0.5, 3]).clamp(0, 1)), [0, 0.5, 1]);
  close(values(tensor([0]).sigmoid()), [0.5]);
  assert.deepEqual(values(tensor([-1, 2]).relu()), [0, 2]);
  assert.deepEqual(values(tensor([1, 2]).rsub(10)), [9, 8]);
  // integer tensors stay integer with integral scalars, as in PyTorch
  assert.equal(tensor([1, 2], { dtype: "int64" }).mul(3).dtype, "int64");
  assert.equal(tensor([1, 2], { dtype: "int64" }).div(2).dtype, "float32");
});

test("comparisons, logic and where", () => {
  const a = tensor([1, 2, 3]);
  assert.deepEqual(values(a.gt(1)), [0, 1, 1]);
  assert.equal(a.eq(tensor([1, 0, 3])).dtype, "bool");
  assert.deepEqual(values(a.le(tensor([0, 2, 5]))), [0, 1, 1]);
  assert.deepEqual(values(a.gt(1).logicalAnd(a.lt(3))), [0, 1, 0]);
  assert.deepEqual(values(where(a.gt(1), a, tensor([-1, -1, -1]))), [-1, 2, 3]);
  assert.deepEqual(values(where(a.gt(2), a, 0)), [0, 0, 3]);
});

test("reductions with and without dims", () => {
  const a = tensor([[1, 5, 3], [4, 2, 6]]);
  assert.equal(a.sum().item(), 21);
  assert.deepEqual(values(a.sum(0)), [5, 7, 9]);
  assert.deepEqual(a.sum(1, true).shape, [2, 1]);
  close(values(a.mean([0, 1])), [3.5]);
  assert.equal(a.max().item(), 6);
  const { values: mv, indices } = a.max(1);
  assert.deepEqual(values(mv), [5, 6]);
  assert.deepEqual(values(indices), [1, 2]);
  assert.deepEqual(values(a.argmax(0)), [1, 0, 1]);
  // Along a dimension: the first of tied maxima (PyTorch's rule), with keepdim.
  const ties = tensor([[1, 3, 3], [2, 2, 0]]);
  assert.deepEqual(values(ties.argmax(1)), [1, 0]);
  assert.deepEqual(ties.argmax(1, true).shape, [2, 1]);
  assert.deepEqual(values(ties.argmax(0)), [1, 0, 0]);
  assert.deepEqual(values(a.min(0).values), [1, 2, 3]);
  assert.equal(a.argmin().item(), 0);
  close(values(tensor([1, 2, 3, 4]).var()), [5 / 3]);
  close(values(tensor([1, 2, 3, 4]).std(undefined, false, false)), [Math.sqrt(1.25)]);
  close(values(tensor([[1, 2], [3, 4]]).matmul(tensor([[5], [6]]))), [17, 39]);
});

test("shape ops", () => {
  const a = arange(6, { dtype: "float32" }).reshape([2, 3]);
  assert.deepEqual(values(a.t()), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(values(a.permute([1, 0]).contiguous()), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(values(a.narrow(1, 1, 2)), [1, 2, 4, 5]);
  assert.deepEqual(values(a.slice(1, 0, undefined, 2)), [0, 2, 3, 5]);
  assert.deepEqual(values(a.slice(1, -1)), [2, 5]);
  assert.deepEqual(values(a.select(0, 1)), [3, 4, 5]);
  assert.deepEqual(values(a.indexSelect(1, tensor([2, 0], { dtype: "int64" }))), [2, 0, 5, 3]);
  assert.deepEqual(values(a.flip([1])), [2, 1, 0, 5, 4, 3]);
  assert.deepEqual(a.unsqueeze(0).shape, [1, 2, 3]);
  assert.deepEqual(a.unsqueeze(0).squeeze(0).shape, [2, 3]);
  assert.deepEqual(a.flatten().shape, [6]);
  assert.deepEqual(tensor([1, 2]).expand([3, 2]).shape, [3, 2]);
  assert.deepEqual(values(tensor([1, 2]).repeat([2])), [1, 2, 1, 2]);
  assert.deepEqual(values(a.gather(1, tensor([[2], [0]], { dtype: "int64" }))), [2, 3]);
  assert.deepEqual(cat([a, a], 0).shape, [4, 3]);
  assert.deepEqual(stack([a, a], 1).shape, [2, 2, 3]);
  assert.deepEqual(a.chunk(3, 1).map((t) => t.shape), [[2, 1], [2, 1], [2, 1]]);
  assert.deepEqual(a.toList(), [[0, 1, 2], [3, 4, 5]]);
});

test("channels-last memory format keeps values and changes strides", () => {
  const x = arange(24, { dtype: "float32" }).reshape([1, 2, 3, 4]);
  const cl = x.toMemoryFormat("channelsLast");
  assert.ok(cl.isContiguous("channelsLast"));
  assert.ok(!cl.isContiguous());
  assert.deepEqual(cl.stride(), [24, 1, 8, 2]);
  assert.ok(cl.equal(x));
  assert.deepEqual(values(cl), values(x), "toArray returns logical (NCHW) order");
});

test("a one-channel batch made channels-last gets strides libtorch reads as channels-last", () => {
  // With C = 1 both layouts are the same bytes; libtorch keeps NCHW strides unless told, and a
  // convolution of such an input would come out NCHW (and the network's stem run NCHW).
  const x = arange(32, { dtype: "float32" }).reshape([2, 1, 4, 4]);
  const w = arange(27, { dtype: "float32" }).div(10).reshape([3, 1, 3, 3]);
  const cl = x.contiguous("channelsLast");
  assert.deepEqual(cl.stride(), [16, 1, 4, 1]);
  assert.ok(cl.isContiguous() && cl.isContiguous("channelsLast"), "the same bytes: both layouts at once");
  assert.deepEqual(values(cl), values(x));
  const out = F.conv2d(cl, w, null, { padding: 1 });
  assert.ok(out.isContiguous("channelsLast") && !out.isContiguous(), `conv output strides ${out.stride().join(",")}`);
  assert.ok(out.allclose(F.conv2d(x, w, null, { padding: 1 })));
  assert.deepEqual(x.contiguous("channelsLast").stride(), cl.stride(), "asking again gives the same view");
});

test("dtype round-trips through typed arrays and raw bytes", () => {
  const f = new Float32Array([1.5, -2, 3.25]);
  assert.deepEqual(fromTypedArray(f, [3]).toArray(), f);
  const i64 = new BigInt64Array([1n, -(2n ** 40n), 3n]);
  const t64 = fromTypedArray(i64, [3]);
  assert.equal(t64.dtype, "int64");
  assert.deepEqual(t64.toArray(), i64);
  const u8 = new Uint8Array([0, 7, 255]);
  assert.deepEqual(fromTypedArray(u8).toArray(), u8);
  const i32 = new Int32Array([-5, 6]);
  assert.deepEqual(fromTypedArray(i32).toArray(), i32);
  const f64 = new Float64Array([0.1, 1e300]);
  assert.deepEqual(fromTypedArray(f64).toArray(), f64);
  // float16: 1.5 -> 0x3e00, bfloat16: 1.5 -> 0x3fc0 (little-endian bytes)
  const h = tensor([1.5, -2], { dtype: "float16" });
  assert.deepEqual(Array.from(h.toBytes()), [0x00, 0x3e, 0x00, 0xc0]);
  assert.deepEqual(h.toArray(), new Float32Array([1.5, -2]));
  const bf = fromBytes(new Uint8Array([0xc0, 0x3f]), "bfloat16", [1]);
  assert.equal(bf.item(), 1.5);
  const b = tensor([true, false, true]);
  assert.equal(b.dtype, "bool");
  assert.deepEqual(b.toArray(), new Uint8Array([1, 0, 1]));
  assert.deepEqual(values(tensor([1.7, -1.7]).to("int32")), [1, -1]);
  assert.deepEqual(tensor([2.5]).toFloat32Array(), new Float32Array([2.5]));
  assert.throws(() => fromTypedArray(new Float32Array(3), [2, 2]), /holds 4 elements but the array has 3/);
});

test("in-place ops update the tensor and return it", () => {
  const p = tensor([1, 2, 3]);
  assert.equal(p.add_(tensor([1, 1, 1]), 2), p);
  assert.deepEqual(values(p), [3, 4, 5]);
  p.mul_(2).sub_(1);
  assert.deepEqual(values(p), [5, 7, 9]);
  p.addcmul_(tensor([1, 2, 3]), tensor([2, 2, 2]), 0.5);
  assert.deepEqual(values(p), [6, 9, 12]);
  p.addcdiv_(tensor([6, 9, 12]), tensor([3, 3, 3]), -1);
  assert.deepEqual(values(p), [4, 6, 8]);
  p.lerp_(tensor([8, 8, 8]), 0.5);
  assert.deepEqual(values(p), [6, 7, 8]);
  p.clamp_(6.5, 7.5);
  assert.deepEqual(values(p), [6.5, 7, 7.5]);
  p.copy_(tensor([1, 1, 1]));
  p.fill_(3).div_(tensor([1, 2, 3]));
  assert.deepEqual(values(p), [3, 1.5, 1]);
  p.zero_();
  assert.deepEqual(values(p), [0, 0, 0]);
});

test("fromTypedArray copies by default and shares memory with { share: true }", () => {
  const src = new Float32Array([1, 2, 3, 4]);
  const copied = fromTypedArray(src, [2, 2]);
  const shared = fromTypedArray(src, [2, 2], { share: true });
  src[0] = 100;
  assert.equal(copied.toArray()[0], 1);
  assert.equal(shared.toArray()[0], 100);
  shared.mul_(2);
  assert.equal(src[1], 4, "in-place ops on the tensor write into the array");
  // a view into the middle of a larger buffer keeps its offset
  const big = new Int32Array([9, 9, 5, 6, 9]);
  assert.deepEqual(values(fromTypedArray(big.subarray(2, 4), [2], { share: true })), [5, 6]);
  // a dtype conversion cannot share: falls back to a copy
  const conv = fromTypedArray(src, [4], { share: true, dtype: "float64" });
  src[3] = -1;
  assert.equal(conv.toArray()[3], 8);
});

test("a shared tensor outlives the JS array it came from", async () => {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const t = (() => fromTypedArray(new Float32Array(1 << 16).fill(3), [1 << 16], { share: true }).reshape([256, 256]))();
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(t.sum().item(), 3 * 65536);
});
