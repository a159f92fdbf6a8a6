// An independent reference for the exported graph: the tiny DeepLabs built from torchvision's own
// blocks by scripts/fixtures/models.py (weights and eval logits in test/fixtures/models). Our model
// with those weights, exported and run by onnxruntime-node, must give torchvision's logits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { DeepLabV3, defaultModelConfig, type ModelConfig } from "../../src/models/index.js";
import { loadSafetensors } from "../../src/tensor/safetensors.js";
import { modelToOnnx } from "../../src/onnx/export.js";
import { maxAbsDiff } from "./helpers.js";

const dir = new URL("../../../test/fixtures/models/", import.meta.url);

interface PyConfig {
  depth: 18 | 50; width: number; in_channels: number; classes: number; output_stride: 8 | 16; rates: number[];
  multi_grid: number[] | null; aux: boolean; decoder: boolean; aspp_channels: number; low_level_channels: number;
  norm: "batch" | "group"; groups?: number;
}

function modelConfig(c: PyConfig): ModelConfig {
  return {
    ...defaultModelConfig, arch: c.decoder ? "deeplabv3plus" : "deeplabv3", backbone: c.depth, width: c.width, inChannels: c.in_channels,
    numClasses: c.classes, outputStride: c.output_stride, atrousRates: c.rates, multiGrid: c.multi_grid, auxLoss: c.aux,
    asppChannels: c.aspp_channels, lowLevelChannels: c.low_level_channels, norm: c.norm, normGroups: c.groups ?? 32,
  };
}

for (const name of ["r18_os8_aux", "r50_os16_mg_plus", "r18_os16_gn"]) {
  test(`tiny ${name} exported: ONNX Runtime gives torchvision's logits`, async () => {
    const meta = JSON.parse(readFileSync(new URL(`tiny_${name}.json`, dir), "utf8")) as { config: PyConfig };
    const model = new DeepLabV3(modelConfig(meta.config));
    const weights = loadSafetensors(new URL(`tiny_${name}.weights.safetensors`, dir).pathname).tensors;
    const io = loadSafetensors(new URL(`tiny_${name}.io.safetensors`, dir).pathname).tensors;
    try {
      model.loadStateDict(weights);
      const bytes = modelToOnnx(model, { dynamic: true });
      const input = io.get("input")!, want = io.get("out")!.toFloat32Array();
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
      try {
        const got = await session.run({ image: new ort.Tensor("float32", input.toFloat32Array(), input.shape) });
        assert.deepEqual(got.logits.dims, io.get("out")!.shape);
        const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const d = maxAbsDiff(got.logits.data as Float32Array, want);
        assert.ok(d <= 1e-4 * Math.max(1, scale), `max abs diff ${d} (logits up to ${scale})`);
      } finally {
        await session.release();
      }
    } finally {
      model.dispose();
      for (const t of [...weights.values(), ...io.values()]) t.dispose();
    }
  });
}
