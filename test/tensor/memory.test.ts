// Native memory is freed deterministically: dispose(), tidy() scopes (returned and kept tensors
// survive), and the GC finalizer for forgotten handles; memoryStats() tracks all of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  F, disposeAll, getNumThreads, memoryStats, noGrad, ones, randn, setNumThreads, tidy, zeros, type Tensor,
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

test("1,000 training steps of a small conv net keep RSS flat (< 50 MB growth after step 50)", () => {
  // One thread: this checks memory, and OpenMP barriers crawl when the test machine is oversubscribed.
  const threads = getNumThreads();
  setNumThreads(1);
  const w1 = randn([8, 1, 3, 3], { requiresGrad: true });
  const w2 = randn([3, 8, 1, 1], { requiresGrad: true });
  const rm = zeros([8]), rv = ones([8]);
  const before = live();
  let rssAt50 = 0;
  for (let step = 0; step < 1000; step++) {
    tidy(() => {
      const x = randn([2, 1, 16, 16]);
      const target = randn([2, 3, 16, 16]).argmax(1);
      const h = F.relu(F.batchNorm(F.conv2d(x, w1, null, { padding: 1 }), rm, rv, null, null, { training: true }));
      F.crossEntropy(F.conv2d(h, w2), target).backward();
      noGrad(() => {
        for (const w of [w1, w2]) {
          const g = w.grad as Tensor;
          w.sub_(g, 0.01);
          w.zeroGrad();
        }
      });
    });
    if (step === 50) rssAt50 = process.memoryUsage().rss;
  }
  const growth = (process.memoryUsage().rss - rssAt50) / 2 ** 20;
  assert.equal(live(), before);
  assert.ok(growth < 50, `RSS grew ${growth.toFixed(1)} MB`);
  disposeAll(w1, w2, rm, rv);
  setNumThreads(threads);
});
