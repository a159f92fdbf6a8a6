// Native memory is freed deterministically: dispose(), tidy() scopes (returned and kept tensors
// survive), and the GC finalizer for forgotten handles; memoryStats() tracks all of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  disposeAll, memoryStats, ones, randn, tidy, zeros, type Tensor,
} from "../../src/tensor/index.js";
import { N } from "../../src/tensor/native.js";

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

// src/tensor/native.ts keeps freed memory in glibc's heap, blocks above its 32 MiB mmap ceiling included
// (M_MMAP_MAX 0), so a large block is reused instead of mapped and page-faulted afresh at each use. (Page
// fault counts are no test here: this VM's kernel reclaims idle heap pages on its own.)
const mallocDefaults = process.env.CARDIOSEG_MALLOC === "system"
  || Object.keys(process.env).some((k) => k.startsWith("MALLOC_"));
const noHeapCheck = mallocDefaults ? "glibc's defaults were asked for"
  : existsSync("/proc/self/maps") ? false : "no /proc/self/maps";
test("a 64 MiB tensor comes from glibc's heap, not from a mapping of its own", { skip: noHeapCheck }, () => {
  const t = zeros([(64 << 20) / 4]);
  const address = N.dataPtr(t._h);
  const heap = /^([0-9a-f]+)-([0-9a-f]+) .*\[heap\]$/m.exec(readFileSync("/proc/self/maps", "utf8"));
  t.dispose();
  assert.ok(heap, "a [heap] mapping");
  const [start, end] = [parseInt(heap[1]!, 16), parseInt(heap[2]!, 16)];
  assert.ok(address >= start && address < end, `0x${address.toString(16)} outside the heap ${heap[1]}-${heap[2]}`);
});
