// Parameter counts and state-dict keys equal torchvision's deeplabv3_resnet50/101 (recorded once by
// scripts/fixtures/models.py into test/fixtures/models/torchvision-layout.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DeepLabV3, defaultModelConfig } from "../../src/models/index.js";

interface Layout { keys?: [string, number[]][]; num_parameters: number }
const fixture = JSON.parse(readFileSync(new URL("../../../test/fixtures/models/torchvision-layout.json", import.meta.url), "utf8")) as {
  models: Record<string, Layout>;
};

function build(depth: 50 | 101, classes: number, aux: boolean): DeepLabV3 {
  return new DeepLabV3({ ...defaultModelConfig, backbone: depth, inChannels: 3, numClasses: classes, outputStride: 8, auxLoss: aux });
}

// Building ResNet-101 allocates ~240 MB; four variants cover both depths, both class counts and aux on/off.
for (const [depth, classes, aux] of [[50, 4, true], [101, 2, false], [50, 2, false], [101, 4, true]] as const) {
  const name = `deeplabv3_resnet${depth}_c${classes}_aux${aux ? 1 : 0}`;
  test(`${name}: parameter count${fixture.models[name].keys ? " and state-dict keys/shapes" : ""} equal torchvision's`, () => {
    const model = build(depth, classes, aux);
    try {
      const ref = fixture.models[name];
      assert.equal(model.numParameters(), ref.num_parameters);
      if (ref.keys) {
        const ours = [...model.stateDict()].map(([k, t]) => [k, t.shape]);
        assert.deepEqual(ours, ref.keys);
      }
    } finally {
      model.dispose();
    }
  });
}

test("key names read like torchvision's", () => {
  const model = new DeepLabV3({ ...defaultModelConfig, backbone: 18, width: 4, asppChannels: 8, auxLoss: true, numClasses: 2 });
  try {
    const keys = [...model.stateDict().keys()];
    for (const k of ["backbone.conv1.weight", "backbone.bn1.running_mean", "backbone.layer1.0.conv1.weight", "backbone.layer2.0.downsample.0.weight",
      "classifier.0.convs.0.0.weight", "classifier.0.convs.4.1.weight", "classifier.0.project.0.weight", "classifier.4.weight", "classifier.4.bias",
      "aux_classifier.0.weight", "aux_classifier.4.bias"]) {
      assert.ok(keys.includes(k), `missing ${k}`);
    }
  } finally {
    model.dispose();
  }
});
