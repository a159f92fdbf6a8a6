// Output equivalence with torchvision: tiny DeepLabs built by scripts/fixtures/models.py from
// torchvision's own blocks, their weights, input, eval-mode logits and loss gradients saved to
// test/fixtures/models/tiny_*.{weights,io}.safetensors. Same weights here must give the same numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DeepLabV3, defaultModelConfig, type ModelConfig } from "../../src/models/index.js";
import { loadSafetensors } from "../../src/tensor/safetensors.js";
import { F, tidy, type Tensor } from "../../src/tensor/index.js";

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

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tidy(() => a.sub(b).abs().max().item());
}

for (const name of ["r18_os8_aux", "r50_os16_mg_plus", "r18_os16_gn"]) {
  test(`tiny ${name}: logits and gradients equal torchvision's`, () => {
    const meta = JSON.parse(readFileSync(new URL(`tiny_${name}.json`, dir), "utf8")) as { config: PyConfig; num_parameters: number; keys: string[] };
    const model = new DeepLabV3(modelConfig(meta.config));
    const weights = loadSafetensors(new URL(`tiny_${name}.weights.safetensors`, dir).pathname).tensors;
    const io = loadSafetensors(new URL(`tiny_${name}.io.safetensors`, dir).pathname).tensors;
    try {
      assert.equal(model.numParameters(), meta.num_parameters);
      assert.deepEqual([...model.stateDict().keys()], meta.keys);
      model.loadStateDict(weights);
      model.eval();
      tidy(() => {
        const out = model.forward(io.get("input")!, true);
        const scale = tidy(() => io.get("out")!.abs().max().item());
        assert.ok(maxAbsDiff(out.out, io.get("out")!) <= 1e-4 * Math.max(1, scale), "logits differ");
        const target = io.get("target")!;
        let loss = F.crossEntropy(out.out, target);
        if (meta.config.aux) {
          assert.ok(out.aux, "aux logits missing");
          assert.ok(maxAbsDiff(out.aux, io.get("aux")!) <= 1e-4, "aux logits differ");
          loss = loss.add(F.crossEntropy(out.aux, target).mul(0.5));
        }
        assert.ok(Math.abs(loss.item() - io.get("loss")!.item()) < 1e-5, "loss differs");
        loss.backward();
        const params = new Map(model.namedParameters());
        for (const key of ["backbone.conv1.weight", "backbone.layer4.1.conv2.weight"]) {
          const want = io.get(`grad.${key}`)!;
          const got = params.get(key)!.grad!;
          const scaleG = want.abs().max().item();
          assert.ok(maxAbsDiff(got, want) <= 1e-4 * Math.max(scaleG, 1e-3), `gradient of ${key} differs`);
        }
      });
    } finally {
      model.dispose();
      for (const t of [...weights.values(), ...io.values()]) t.dispose();
    }
  });
}
