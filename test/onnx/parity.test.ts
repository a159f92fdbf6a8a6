// Parity of the exported graph with the model it came from: for each architecture variant (see
// helpers.ts; every combination with CARDIOSEG_ONNX_ALL=1, `npm run test:onnx-all`), the model exported
// with dynamic shapes and loaded in onnxruntime-node with every graph optimisation on gives libtorch's
// eval logits within 1e-4 (max abs; relative to the largest logit when that exceeds 1, as
// test/models/equivalence does) on random inputs of two sizes and batch sizes; BatchNorm models also
// exported with --fold-bn. Where libtorch float32 is itself ~1e-4 from the float64 logits (tiny
// R101s with BatchNorm), ONNX Runtime must be no further than twice that from them. A fixed-shape
// export runs its own shape and refuses another.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { modelToOnnx } from "../../src/onnx/export.js";
import { float64Logits, maxAbsDiff, randomInput, tinyModel, torchLogits, variantsUnderTest } from "./helpers.js";
import { foldBatchNorm_ } from "../../src/nn/index.js";

const SIZES: Array<[batch: number, height: number, width: number]> = [[2, 48, 40], [1, 33, 57]];
const TOLERANCE = 1e-4;

async function ortLogits(session: ort.InferenceSession, x: Float32Array, b: number, h: number, w: number): Promise<ort.Tensor> {
  const out = await session.run({ image: new ort.Tensor("float32", x, [b, 1, h, w]) });
  return out.logits;
}

for (const v of variantsUnderTest()) {
  test(`ONNX Runtime gives libtorch's logits: ${v.name}`, async () => {
    const model = tinyModel(v.config);
    try {
      const forms: Array<[string, Uint8Array]> = [["plain", modelToOnnx(model, { dynamic: true })]];
      // Reference logits before folding (folding changes the model in place).
      const refs = SIZES.map(([b, h, w], i) => {
        const x = randomInput(100 + i, b, 1, h, w);
        return { x, b, h, w, logits: torchLogits(model, x, b, h, w) };
      });
      if (v.fold) {
        assert.ok(foldBatchNorm_(model) > 0, "BatchNorm layers folded");
        forms.push(["BatchNorm folded", modelToOnnx(model, { dynamic: true })]);
      }
      for (const [form, bytes] of forms) {
        const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
        try {
          for (const r of refs) {
            const got = await ortLogits(session, r.x, r.b, r.h, r.w);
            assert.deepEqual(got.dims, [r.b, v.config.numClasses, r.h, r.w]);
            const d = maxAbsDiff(got.data as Float32Array, r.logits);
            const scale = r.logits.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
            assert.ok(scale > 0.1, `logits are not trivially small (${scale})`);
            const bound = TOLERANCE * Math.max(1, scale);
            if (d <= bound) continue;
            // Deep BatchNorm models in float32 (R101 at width 4) are themselves ~1e-4 from their exact
            // logits: then ONNX Runtime must be as close to the float64 logits as libtorch is.
            const exact = float64Logits(v.config, r.x, r.b, r.h, r.w);
            const torchError = maxAbsDiff(r.logits, exact), ortError = maxAbsDiff(got.data as Float32Array, exact);
            assert.ok(ortError <= 2 * torchError, `${form}, ${r.b}x1x${r.h}x${r.w}: max abs diff ${d} > ${bound} (logits up to ${scale}), ` +
              `and ONNX Runtime is ${ortError} from the float64 logits where libtorch float32 is ${torchError}`);
          }
        } finally {
          await session.release();
        }
      }
    } finally {
      model.dispose();
    }
  });
}

test("a fixed-shape export runs its shape and refuses another", async () => {
  const v = variantsUnderTest()[0];
  const model = tinyModel(v.config);
  try {
    const bytes = modelToOnnx(model, { dynamic: false, batch: 2, height: 48, width: 40 });
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
    try {
      const x = randomInput(5, 2, 1, 48, 40);
      const got = await ortLogits(session, x, 2, 48, 40);
      assert.ok(maxAbsDiff(got.data as Float32Array, torchLogits(model, x, 2, 48, 40)) <= TOLERANCE);
      await assert.rejects(ortLogits(session, randomInput(6, 1, 1, 32, 32), 1, 32, 32), /dimension|shape|Got invalid dimensions/i);
    } finally {
      await session.release();
    }
  } finally {
    model.dispose();
  }
});
