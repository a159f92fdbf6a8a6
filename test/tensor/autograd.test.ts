// Autograd: gradients of small expressions computed by hand, grad accumulation and clearing,
// leaves, noGrad/enableGrad scopes and torch.autograd.grad.
import { test } from "node:test";
import assert from "node:assert/strict";
import { enableGrad, grad, isGradEnabled, noGrad, tensor, type Tensor } from "../../src/tensor/index.js";

function values(t: Tensor | null): number[] {
  assert.ok(t !== null, "expected a gradient");
  return Array.from(t.toArray() as Float32Array);
}

test("backward computes d(sum(x^2 * 3 + x))/dx = 6x + 1", () => {
  const x = tensor([1, -2, 0.5], { requiresGrad: true });
  x.pow(2).mul(3).add(x).sum().backward();
  assert.deepEqual(values(x.grad), [7, -11, 4]);
  assert.equal(x.isLeaf, true);
  assert.equal(x.mul(2).isLeaf, false);
});

test("gradients accumulate until zeroGrad", () => {
  const w = tensor([2], { requiresGrad: true });
  w.mul(3).sum().backward();
  w.mul(3).sum().backward();
  assert.deepEqual(values(w.grad), [6]);
  w.zeroGrad();
  assert.equal(w.grad, null);
});

test("backward with an explicit gradient and through matmul", () => {
  const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const b = tensor([[1], [1]]);
  a.matmul(b).backward(tensor([[1], [10]]));
  assert.deepEqual(values(a.grad), [1, 1, 10, 10]);
  assert.equal(b.grad, null);
});

test("noGrad stops recording; enableGrad re-enables; state restored after throws", () => {
  const x = tensor([1], { requiresGrad: true });
  const y = noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.equal(isGradEnabled(), true);
  noGrad(() => {
    assert.equal(isGradEnabled(), false);
    assert.equal(enableGrad(() => x.mul(2)).requiresGrad, true);
  });
  assert.throws(() => noGrad(() => { throw new Error("inside"); }), /inside/);
  assert.equal(isGradEnabled(), true);
});

test("grad() returns gradients without touching .grad; detach cuts the graph", () => {
  const x = tensor([3], { requiresGrad: true });
  const y = x.mul(x);
  const [g] = grad(y, x);
  assert.deepEqual(values(g), [6]);
  assert.equal(x.grad, null);
  assert.equal(x.mul(2).detach().requiresGrad, false);
  const z = tensor([1], { requiresGrad: true });
  assert.deepEqual(grad(x.mul(2), [x, z], { allowUnused: true }).map((t) => t === null), [false, true]);
});

test("requiresGrad setter and backward errors", () => {
  const t = tensor([1, 2]);
  assert.throws(() => t.sum().backward(), /does not require grad/);
  t.requiresGrad = true;
  assert.equal(t.requiresGrad, true);
  assert.throws(() => tensor([1], { requiresGrad: true }).add_(1), /leaf Variable that requires grad/);
});
