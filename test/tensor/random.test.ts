// Seeded generators reproduce PyTorch's streams (values printed by Python PyTorch 1.13:
// torch.manual_seed(42); torch.randn(3) / torch.rand(2)) and resume exactly from saved state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, Generator, manualSeed, ones, rand, randint, randn, randperm, zeros } from "../../src/tensor/index.js";

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol, `element ${i}: ${actual[i]} vs ${e}`));
}

test("seeded generators match PyTorch's streams", () => {
  close(randn([3], { generator: new Generator(42) }).toArray() as Float32Array, [0.3367, 0.1288, 0.2345]);
  close(rand([2], { generator: new Generator(42) }).toArray() as Float32Array, [0.8823, 0.9150]);
  manualSeed(42);
  close(randn([3]).toArray() as Float32Array, [0.3367, 0.1288, 0.2345]);
});

test("generator state save/restore resumes the exact stream", () => {
  const g = new Generator(7);
  randn([5], { generator: g });
  const state = g.getState();
  const a = randn([4], { generator: g }).toArray();
  g.setState(state);
  assert.deepEqual(randn([4], { generator: g }).toArray(), a);
  assert.equal(g.seed, 7);
  g.manualSeed(9);
  assert.equal(g.initialSeed(), 9);
});

test("integer draws stay in range", () => {
  const g = new Generator(1);
  const r = randint(3, 6, [1000], { generator: g });
  assert.equal(r.dtype, "int64");
  assert.equal(r.min().item(), 3);
  assert.equal(r.max().item(), 5);
  const p = randperm(10, { generator: g });
  assert.deepEqual(Array.from(p.sort().values.toArray() as BigInt64Array, Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const u = zeros([1000]).uniform_(-1, 1, g);
  assert.ok(u.min().item() >= -1 && u.max().item() < 1);
});

test("dropout with a generator is reproducible and scales survivors", () => {
  const x = ones([1000]);
  const a = F.dropout(x, 0.25, true, new Generator(3)).toArray() as Float32Array;
  const b = F.dropout(x, 0.25, true, new Generator(3)).toArray() as Float32Array;
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
  const kept = a.filter((v) => v !== 0).length;
  assert.ok(kept > 650 && kept < 850, `kept ${kept}`);
  assert.deepEqual(F.dropout(x, 0.25, false).toArray(), x.toArray());
  const channels = F.dropout2d(ones([1, 50, 2, 2]), 0.5, true, new Generator(4)).toArray() as Float32Array;
  for (let c = 0; c < 50; c++) assert.equal(new Set(channels.slice(c * 4, c * 4 + 4)).size, 1);
});
