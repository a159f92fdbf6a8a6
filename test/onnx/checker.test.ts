// ONNX's own checker (onnx.checker.check_model, full_check, Debian's python3-onnx) passed the covering
// set of exports once: scripts/fixtures/onnx_checker.py recorded each one's structural signature in
// test/fixtures/onnx/checker.json. Today's exports must have those signatures, i.e. be the graphs the
// checker passed; when the exporter changes the graph on purpose, re-run that script.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { foldBatchNorm_ } from "../../src/nn/index.js";
import { modelToOnnx } from "../../src/onnx/export.js";
import { parseModel } from "../../src/onnx/proto.js";
import { COVERING_VARIANTS, tinyModel } from "./helpers.js";
import { fixtureForms, signature } from "./signature.js";

const fixture = JSON.parse(readFileSync(new URL("../../../test/fixtures/onnx/checker.json", import.meta.url), "utf8")) as {
  onnx_version: string; exports: Record<string, { checker: string; signature: string; nodes: number }>;
};

test("every covering export is a graph ONNX's checker passed", () => {
  const forms = fixtureForms(COVERING_VARIANTS);
  assert.deepEqual(Object.keys(fixture.exports).sort(), forms.map((f) => f.key).sort(), "the fixture covers the same exports");
  for (const form of forms) {
    const model = tinyModel(form.variant.config);
    try {
      if (form.folded) foldBatchNorm_(model);
      const proto = parseModel(modelToOnnx(model, { dynamic: true }), form.key);
      const want = fixture.exports[form.key];
      assert.equal(want.checker, "passed");
      assert.equal(proto.graph!.node.length, want.nodes, `${form.key}: node count`);
      assert.equal(signature(proto), want.signature,
        `${form.key}: the export differs from the graph onnx ${fixture.onnx_version}'s checker passed; re-run scripts/fixtures/onnx_checker.py`);
    } finally {
      model.dispose();
    }
  }
});
