// onnxruntime-web (the browser runtime, here its WASM backend under Node) loads a model exported by
// cardioseg and labels every pixel as libtorch does: the architecture acdc-cpu trains (v3+ R18 OS16,
// BatchNorm folded) and a GroupNorm v3 with multi-grid, at two input sizes. Pixels whose two best
// libtorch logits are within 1e-4 of each other (float rounding could swap them) are not compared.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ortWeb from "onnxruntime-web";
import { foldBatchNorm_ } from "../../src/nn/index.js";
import { modelToOnnx } from "../../src/onnx/export.js";
import { COVERING_VARIANTS, labelsOf, maxAbsDiff, randomInput, tinyModel, torchLogits } from "./helpers.js";

// Single-threaded: WASM threads would need worker files the test does not serve.
ortWeb.env.wasm.numThreads = 1;

/** Pixels (of [B, C, H, W] logits) whose best class wins by more than `margin`. */
function clearPixels(logits: Float32Array, b: number, c: number, plane: number, margin: number): boolean[] {
  const out: boolean[] = [];
  for (let n = 0; n < b; n++) {
    for (let p = 0; p < plane; p++) {
      const v = Array.from({ length: c }, (_, k) => logits[(n * c + k) * plane + p]).sort((x, y) => y - x);
      out.push(v[0] - v[1] > margin);
    }
  }
  return out;
}

const CASES = [
  COVERING_VARIANTS.find((v) => v.name === "v3+ R18 OS16 BN")!,
  COVERING_VARIANTS.find((v) => v.name === "v3+ R18 OS8 mg12 GN aux")!,
];

for (const v of CASES) {
  test(`onnxruntime-web (WASM) gives libtorch's labels: ${v.name}`, async () => {
    const model = tinyModel(v.config);
    try {
      model.eval();
      if (v.fold) foldBatchNorm_(model);
      const session = await ortWeb.InferenceSession.create(modelToOnnx(model, { dynamic: true }), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
      try {
        for (const [b, h, w] of [[2, 48, 40], [1, 64, 80]]) {
          const x = randomInput(b * 1000 + h, b, 1, h, w);
          const want = torchLogits(model, x, b, h, w);
          const got = (await session.run({ image: new ortWeb.Tensor("float32", x, [b, 1, h, w]) })).logits;
          assert.deepEqual(got.dims, [b, 4, h, w]);
          const logits = got.data as Float32Array;
          assert.ok(maxAbsDiff(logits, want) <= 1e-4, "logits within 1e-4");
          const a = labelsOf(logits, b, 4, h * w), e = labelsOf(want, b, 4, h * w);
          const clear = clearPixels(want, b, 4, h * w, 1e-4);
          const differing = clear.filter((c, i) => c && a[i] !== e[i]).length;
          assert.equal(differing, 0, `${differing} clear pixels labelled differently`);
          assert.ok(clear.filter(Boolean).length > 0.99 * clear.length, "almost every pixel is compared");
          assert.ok(new Set(e).size > 1, "the labels are not all one class");
        }
      } finally {
        await session.release();
      }
    } finally {
      model.dispose();
    }
  });
}
