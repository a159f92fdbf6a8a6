// A short version of bench/memory.ts: 200 training steps of a small conv net keep the number of
// live tensors constant and the RSS flat after warm-up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setNumThreads } from "../../src/tensor/index.js";
import { trainLoopMemory } from "../../bench/memory.js";

// One intra-op thread: this tiny net gains nothing from more, and on a loaded 2-core CI machine
// OpenMP threads waiting on each other make each step ~40x slower.
setNumThreads(1);

test("200-step training loop: constant live tensors, RSS growth < 50 MB after step 50", () => {
  const r = trainLoopMemory(200, 50);
  assert.equal(r.liveTensorsEnd, r.liveTensorsAfterWarmup, "tensors leaked per step");
  assert.ok(r.rssGrowthMB < 50, `RSS grew ${r.rssGrowthMB.toFixed(1)} MB`);
});
