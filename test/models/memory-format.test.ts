// A channels-last DeepLab v3+ stays channels-last through the ASPP and the decoder under bfloat16
// autocast: the image-pooling branch's 1x1 map has no layout of its own and came out NCHW, which turned
// the ASPP's concatenation and everything after it NCHW.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ASPPPooling } from "../../src/models/aspp.js";
import { DeepLabV3, DeepLabV3PlusHead, defaultModelConfig } from "../../src/models/index.js";
import { autocast, randn, tidy, type Tensor } from "../../src/tensor/index.js";

const channelsLast = (t: Tensor): boolean => t.isContiguous("channelsLast") && !t.isContiguous();

test("under bf16 autocast the ASPP pooling branch, the ASPP and the logits stay channels-last", () => {
  const model = new DeepLabV3({ ...defaultModelConfig, arch: "deeplabv3plus", backbone: 18, width: 8, asppChannels: 16,
    numClasses: 4, inChannels: 1, outputStride: 16, auxLoss: false }).train();
  model.to({ memoryFormat: "channelsLast" });
  tidy(() => autocast("cpu", "bfloat16", () => {
    const x = randn([2, 1, 64, 64]).contiguous("channelsLast");
    const feats = model.backbone.forward(x);
    assert.ok(channelsLast(feats.out), "the backbone's output");
    const head = model.classifier;
    assert.ok(head instanceof DeepLabV3PlusHead);
    const pooling = [...head.aspp.convs].find((m) => m instanceof ASPPPooling);
    assert.ok(pooling instanceof ASPPPooling);
    const pooled = pooling.forward(feats.out);
    assert.ok(channelsLast(pooled), `the pooling branch's strides ${pooled.stride().join(",")}`);
    assert.ok(channelsLast(head.aspp.forward(feats.out)), "the ASPP's output");
    const logits = head.forward(feats);
    assert.ok(channelsLast(logits), "the head's logits");
  }));
  model.dispose();
});
