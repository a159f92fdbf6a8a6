// The addon is context-aware: it loads and computes inside worker_threads (several at once),
// alongside the main thread, and a worker's exit does not disturb the main thread's tensors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { ones } from "../../src/tensor/index.js";

const workerSource = (entry: string): string => `
  const { parentPort } = require("node:worker_threads");
  import(${JSON.stringify(entry)}).then((T) => {
    const x = T.arange(4, { dtype: "float32" }).reshape([2, 2]);
    const y = x.matmul(x).sum().item();
    const threads = T.getNumThreads();
    parentPort.postMessage({ y, threads, str: x.toString() });
  }).catch((err) => parentPort.postMessage({ error: String(err) }));
`;

function runWorker(): Promise<{ y: number; threads: number; str: string; error?: string }> {
  const entry = new URL("../../src/tensor/index.js", import.meta.url).href;
  return new Promise((resolve, reject) => {
    const w = new Worker(workerSource(entry), { eval: true });
    w.once("message", (m) => {
      void w.terminate();
      resolve(m as { y: number; threads: number; str: string });
    });
    w.once("error", reject);
  });
}

test("tensors work inside worker_threads", async () => {
  const main = ones([3]);
  const results = await Promise.all([runWorker(), runWorker()]);
  for (const r of results) {
    assert.equal(r.error, undefined);
    // [[0,1],[2,3]]^2 = [[2,3],[6,11]] -> 22
    assert.equal(r.y, 22);
    assert.ok(r.threads >= 1);
    assert.equal(r.str, "tensor([[0., 1.],\n        [2., 3.]])");
  }
  assert.equal(main.sum().item(), 3);
});
