// Native memory is freed deterministically: dispose(), tidy() scopes (returned and kept tensors
// survive), and the GC finalizer for forgotten handles; memoryStats() tracks all of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  disposeAll, memoryStats, ones, randn, tidy, zeros, type Tensor,
} from "../../src/tensor/index.js";

const live = (): number => memoryStats().liveTensors;

test("dispose frees the handle and its bytes", () => {
  const before = memoryStats();
  const t = zeros([1000]);
  assert.equal(live(), before.liveTensors + 1);
  assert.equal(memoryStats().liveBytes, before.liveBytes + 4000);
  t.dispose();
  assert.deepEqual(memoryStats(), before);
});

test("tidy disposes intermediates and keeps what is returned", () => {
  const before = live();
  const out = tidy(() => {
    const a = ones([10]);
    const b = a.add(1).mul(3);
    return { result: b.sum(), list: [a.mul(2)] };
  });
  assert.equal(live(), before + 2);
  assert.equal(out.result.item(), 60);
  assert.equal(tidy(() => out.list[0].sum().item()), 20);
  disposeAll(out);
  assert.equal(live(), before);
});

test("nested tidy moves returned tensors to the outer scope; keep() exempts", () => {
  const before = live();
  let kept: Tensor | undefined;
  tidy(() => {
    const inner = tidy(() => ones([3]).mul(2));
    assert.equal(inner.isDisposed, false);
    kept = ones([2]).keep();
    return undefined;
  });
  assert.equal(kept?.isDisposed, false);
  assert.equal(live(), before + 1);
  kept?.dispose();
  assert.equal(live(), before);
});

test("tidy disposes everything when the callback throws", () => {
  const before = live();
  assert.throws(() => tidy(() => {
    ones([4]).add(1);
    throw new Error("boom");
  }), /boom/);
  assert.equal(live(), before);
});

test("tidy rejects async callbacks", () => {
  assert.throws(() => tidy(() => Promise.resolve(1)), /synchronous/);
});

test("a training-like loop inside tidy keeps the live count flat", () => {
  const w = randn([8, 8], { requiresGrad: true });
  const before = live();
  for (let i = 0; i < 200; i++) {
    tidy(() => {
      const loss = randn([4, 8]).matmul(w).relu().sum();
      loss.backward();
    });
  }
  assert.equal(live(), before);
  w.dispose();
});

test("forgotten tensors are freed by the garbage collector", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const before = live();
  (() => {
    for (let i = 0; i < 100; i++) zeros([100]);
  })();
  assert.ok(live() >= before + 100);
  for (let i = 0; i < 5 && live() > before; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(live(), before);
});
