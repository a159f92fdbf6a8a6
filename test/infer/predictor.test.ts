// The volume predictor (src/infer/predictor.ts) against the path it replaced: slice by slice at
// batch 1 through the unfolded model, preprocessing, resampling back and argmax in JavaScript
// (src/data/preprocess.ts, kept as the reference). Also: the device preprocessing against that
// JavaScript reference, one code path for 3D and 4D input, progress reports, batch-size
// independence, and an asynchronous engine (as onnxruntime's) through the same seam.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DeepLabV3, defaultModelConfig, type DeepLabV3PlusHead, type ModelConfig } from "../../src/models/index.js";
import { BatchNorm2d, Conv2d } from "../../src/nn/index.js";
import {
  F, Generator, fromTypedArray, manualSeed, memoryStats, noGrad, packedConvolutionsAvailable, rand, randn, tidy,
  type Tensor,
} from "../../src/tensor/index.js";
import { argmaxChannels, preprocessSlice, restoreScores, sliceGeometry } from "../../src/data/preprocess.js";
import { batchIntensityStats, preprocessBatch, restoreScoresBatch } from "../../src/data/preprocess-tensor.js";
import { intensityStats } from "../../src/data/normalize.js";
import { defaultExperimentConfig, type ExperimentConfig } from "../../src/train/config.js";
import { Predictor, batchRanges, type PredictionProgress } from "../../src/infer/predictor.js";
import { TorchEngine, type LogitsEngine } from "../../src/infer/engine.js";
import { parseBatchSize } from "../../src/infer/predict.js";
import { generateCase } from "../../src/synth/phantom.js";
import type { ImageVolume } from "../../src/io/image.js";

const TARGET_SPACING = 1.25;
const MODEL: ModelConfig = {
  ...defaultModelConfig, arch: "deeplabv3plus", backbone: 18, outputStride: 16, inChannels: 1, numClasses: 4,
  width: 4, asppChannels: 8, lowLevelChannels: 6,
};
const CONFIG: ExperimentConfig = { ...defaultExperimentConfig, model: MODEL, data: { ...defaultExperimentConfig.data, spacing: TARGET_SPACING, task: "regions" } };

/**
 * A tiny acdc-cpu-shaped network with random weights and BatchNorm statistics (as after training),
 * its classifier's bias set so that every class wins somewhere on a phantom: a model that predicts
 * one class everywhere would make the label comparisons meaningless.
 */
function randomModel(seed: number): DeepLabV3 {
  manualSeed(seed);
  const model = new DeepLabV3(MODEL);
  const g = new Generator(seed);
  noGrad(() => tidy(() => {
    for (const m of model.modules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      m.weight!.copy_(rand([m.numFeatures], { generator: g }).add(0.5));
      m.bias!.copy_(randn([m.numFeatures], { generator: g }).mul(0.2));
      m.runningMean!.copy_(randn([m.numFeatures], { generator: g }).mul(0.2));
      m.runningVar!.copy_(rand([m.numFeatures], { generator: g }).add(0.5));
    }
    model.eval();
    const last = (model.classifier as DeepLabV3PlusHead).classifier.at(-1) as Conv2d;
    last.bias!.zero_();
    const v = phantom(seed);
    const [nx, ny] = v.dims;
    const geometry = sliceGeometry(nx, ny, [v.spacing[0], v.spacing[1]], { targetSpacing: TARGET_SPACING, multipleOf: 16 });
    const x = preprocessBatch(fromTypedArray(v.data.subarray(0, 4 * nx * ny), [4, 1, ny, nx]), geometry);
    last.bias!.copy_(model.forward(x).out.mean([0, 2, 3]).neg());
  }));
  return model;
}

/** A second, unfolded model with the same weights. */
function twin(model: DeepLabV3): DeepLabV3 {
  const copy = new DeepLabV3(MODEL);
  copy.loadStateDict(model.stateDict());
  return copy.eval();
}

/** A phantom stack (ACDC-like intensities) given an anisotropic spacing that resamples by non-integer factors. */
function phantom(seed: number, spacing: readonly [number, number] = [1.5625, 1.40625], frame = 0): ImageVolume<Float32Array> {
  const image = generateCase(seed, 0, 80).frames[frame].image;
  return { ...image, spacing: [spacing[0], spacing[1], image.spacing[2]] };
}

/**
 * The replaced Predictor.predictSlice, verbatim in what it computed: per slice, preprocessSlice
 * (JavaScript), the model at batch 1, softmax (+ flips), restoreScores and argmaxChannels in JavaScript.
 */
function oldPathLabels(model: DeepLabV3, volume: ImageVolume, tta: boolean): Uint8Array {
  const [nx, ny, nz] = volume.dims;
  const plane = nx * ny, out = new Uint8Array(plane * nz);
  for (let k = 0; k < nz; k++) {
    const image = Float32Array.from(volume.data.subarray(k * plane, (k + 1) * plane));
    const pre = preprocessSlice({ image, width: nx, height: ny, spacing: [volume.spacing[0], volume.spacing[1]] },
      { targetSpacing: TARGET_SPACING, multipleOf: 16 });
    const g = pre.geometry;
    const probs = noGrad(() => tidy(() => {
      const x = fromTypedArray(pre.image, [1, 1, g.outHeight, g.outWidth]);
      const softmax = (t: Tensor): Tensor => F.softmax(model.forward(t).out, 1);
      let p = softmax(x);
      if (tta) {
        for (const dims of [[3], [2]]) p = p.add(softmax(x.flip(dims)).flip(dims));
        p = p.div(3);
      }
      return p.toFloat32Array();
    }));
    out.set(argmaxChannels(restoreScores(probs, MODEL.numClasses, g), MODEL.numClasses), k * plane);
  }
  return out;
}

function agreement(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Fraction of voxels per class: the comparison means little if the model predicts one class only. */
function classShares(labels: Uint8Array): number[] {
  const counts = [0, 0, 0, 0];
  for (const v of labels) counts[v]++;
  return counts.map((c) => c / labels.length);
}

for (const tta of [false, true]) {
  test(`the batched device predictor gives the old slice-by-slice labels (>= 99.9% of voxels)${tta ? " with flip TTA" : ""}`, () => {
    const model = randomModel(11);
    const reference = twin(model);
    const predictor = new Predictor(new TorchEngine(model), CONFIG, "random weights", { flipTTA: tta, batchSize: 4 });
    try {
      for (const volume of [phantom(3), phantom(4, [0.9, 0.9]), phantom(5, [TARGET_SPACING, TARGET_SPACING])]) {
        const got = predictor.predictVolume(volume);
        assert.deepEqual(got.dims, volume.dims.slice(0, 3));
        const want = oldPathLabels(reference, volume, tta);
        const shares = classShares(want);
        assert.ok(shares.filter((s) => s > 0.01).length >= 3, `the reference labels use several classes (${shares.map((s) => s.toFixed(3)).join(", ")})`);
        const a = agreement(got.data, want);
        assert.ok(a >= 0.999, `voxel agreement ${a} at spacing ${volume.spacing.slice(0, 2).join("x")}`);
      }
    } finally {
      predictor.dispose();
      reference.dispose();
    }
  });
}

test("device preprocessing equals preprocessSlice; device restore equals restoreScores", () => {
  const g = new Generator(5);
  const cases: Array<{ w: number; h: number; spacing: [number, number] }> = [
    { w: 61, h: 47, spacing: [1.5625, 1.40625] }, // up-sampled, anisotropic
    { w: 70, h: 52, spacing: [0.7, 0.9] }, // down-sampled
    { w: 40, h: 40, spacing: [1.25, 1.25] }, // the network's own spacing: only padding
  ];
  for (const c of cases) {
    noGrad(() => tidy(() => {
      // Integer-valued MR-like intensities with a bright tail (the 99.5th percentile clips it), and a flat slice.
      const raw = randn([3, 1, c.h, c.w], { generator: g }).mul(150).add(400).round().clamp(0, null);
      raw.narrow(0, 1, 1).narrow(2, 5, 3).fill_(5000);
      raw.narrow(0, 2, 1).fill_(7);
      const geom = sliceGeometry(c.w, c.h, c.spacing, { targetSpacing: TARGET_SPACING, multipleOf: 16 });
      const net = preprocessBatch(raw, geom);
      assert.deepEqual(net.shape, [3, 1, geom.outHeight, geom.outWidth]);
      const stats = batchIntensityStats(raw);
      for (let b = 0; b < 3; b++) {
        const image = raw.select(0, b).toFloat32Array();
        const s = intensityStats(image);
        const got = ["lo", "hi", "mean", "std"].map((k) => stats[k as "lo"].select(0, b).item());
        [s.lo, s.hi, s.mean, s.std].forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-9 * Math.max(1, Math.abs(v)), `stat ${i}: ${got[i]} vs ${v}`));
        const want = preprocessSlice({ image, width: c.w, height: c.h, spacing: c.spacing }, { targetSpacing: TARGET_SPACING, multipleOf: 16 }).image;
        const mine = net.select(0, b).toFloat32Array();
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(mine[i] - want[i]));
        assert.ok(worst < 1e-4, `slice ${b} at ${c.spacing.join("x")}: normalised values differ by ${worst}`);
      }
      const scores = F.softmax(randn([2, 4, geom.outHeight, geom.outWidth], { generator: g }).mul(3), 1);
      const back = restoreScoresBatch(scores, geom);
      assert.deepEqual(back.shape, [2, 4, c.h, c.w]);
      for (let b = 0; b < 2; b++) {
        const want = restoreScores(scores.select(0, b).toFloat32Array(), 4, geom);
        const mine = back.select(0, b).toFloat32Array();
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(mine[i] - want[i]));
        assert.ok(worst < 1e-5, `restored scores differ by ${worst}`);
      }
    }));
  }
});

test("device percentiles equal numpy's on tiny and odd-sized slices (both tails)", () => {
  const g = new Generator(8);
  for (const n of [1, 2, 3, 7, 200, 201]) {
    noGrad(() => tidy(() => {
      const raw = randn([2, 1, 1, n], { generator: g }).mul(100).round();
      for (const [lowPercentile, highPercentile] of [[0.5, 99.5], [10, 90], [50, 50], [0, 100]]) {
        const stats = batchIntensityStats(raw, { lowPercentile, highPercentile });
        for (let b = 0; b < 2; b++) {
          const s = intensityStats(raw.select(0, b).toFloat32Array(), { lowPercentile, highPercentile });
          assert.equal(stats.lo.select(0, b).item(), s.lo, `lo of ${n} pixels at ${lowPercentile}`);
          assert.equal(stats.hi.select(0, b).item(), s.hi, `hi of ${n} pixels at ${highPercentile}`);
        }
      }
    }));
  }
});

test("NaN voxels are refused with a clear message", () => {
  const model = randomModel(2);
  const predictor = new Predictor(new TorchEngine(model), CONFIG, "random weights");
  try {
    const v = phantom(1);
    const data = Float32Array.from(v.data);
    data[1234] = NaN;
    assert.throws(() => predictor.predictVolume({ ...v, data }), /image contains NaN or infinite values/);
    assert.throws(() => predictor.predictVolume({ ...v, data: data.subarray(1) }), /volume data has \d+ voxels, dims/);
  } finally {
    predictor.dispose();
  }
});

test("a 4D volume gives every frame's labels, as each frame alone; progress after each batch", async () => {
  const model = randomModel(7);
  const predictor = new Predictor(new TorchEngine(model), CONFIG, "random weights", { batchSize: 3 });
  try {
    const a = phantom(8), b = phantom(8, undefined, 1);
    const [nx, ny, nz] = a.dims;
    const data = new Int16Array(a.data.length * 2);
    data.set(Int16Array.from(a.data, Math.round));
    data.set(Int16Array.from(b.data, Math.round), a.data.length);
    const cine: ImageVolume = { ...a, data, dims: [nx, ny, nz, 2], spacing: [...a.spacing, 30] };
    const steps: PredictionProgress[] = [];
    const seen: Uint8Array[] = [];
    const labels = predictor.predictVolume(cine, (p) => {
      steps.push(p);
      seen.push(p.labels.data.slice(p.from * nx * ny, p.to * nx * ny));
    });
    assert.deepEqual(labels.dims, [nx, ny, nz, 2]);
    assert.deepEqual(labels.spacing, cine.spacing);
    const total = 2 * nz;
    assert.deepEqual(steps.map((s) => [s.from, s.to]), batchRanges(total, 3));
    assert.ok(steps.every((s) => s.total === total && s.slicesPerFrame === nz && s.frames === 2 && s.done === s.to && s.labels === labels));
    steps.forEach((s, i) => assert.deepEqual(seen[i], labels.data.subarray(s.from * nx * ny, s.to * nx * ny), "reported slices are final"));
    for (const [t, frame] of [a, b].entries()) {
      const alone = predictor.predictVolume({ ...frame, data: Float32Array.from(frame.data, Math.round) });
      const part = labels.data.subarray(t * nx * ny * nz, (t + 1) * nx * ny * nz);
      assert.ok(agreement(part, alone.data) >= 0.999, `frame ${t}`);
    }
    // The async path (what a server uses) gives the same labels, and neither path leaves tensors behind.
    const live = memoryStats().liveTensors;
    const again = await predictor.predictVolumeAsync(cine);
    assert.deepEqual(again.data, labels.data);
    predictor.predictVolume(cine);
    assert.equal(memoryStats().liveTensors, live, "tensors leaked by a prediction");
  } finally {
    predictor.dispose();
  }
});

test("labels do not depend on the batch size", () => {
  const model = randomModel(12);
  const volume = phantom(6);
  const one = new Predictor(new TorchEngine(model), CONFIG, "random weights", { batchSize: 1 });
  try {
    const all = new Predictor(one.engine, CONFIG, "random weights", { batchSize: 64 });
    assert.ok(agreement(one.predictVolume(volume).data, all.predictVolume(volume).data) >= 0.999);
  } finally {
    one.dispose();
  }
  assert.throws(() => new Predictor(one.engine, CONFIG, "x", { batchSize: 0 }), /batch size must be a positive integer/);
});

test("every voxel type a reader gives is predicted (uint16 MR DICOM, uint32), as its float32 copy", () => {
  const model = randomModel(13);
  const predictor = new Predictor(new TorchEngine(model), CONFIG, "random weights");
  try {
    const v = phantom(7);
    const want = predictor.predictVolume({ ...v, data: Float32Array.from(v.data, (x) => Math.max(0, Math.round(x))) }).data;
    for (const data of [Uint16Array.from(v.data, (x) => Math.max(0, Math.round(x))), Uint32Array.from(v.data, (x) => Math.max(0, Math.round(x)))]) {
      assert.deepEqual(predictor.predictVolume({ ...v, data }).data, want, data.constructor.name);
    }
  } finally {
    predictor.dispose();
  }
});

test("an asynchronous engine plugs into the same pre/post-processing", async () => {
  const model = randomModel(13);
  const torch = new TorchEngine(model);
  let calls = 0;
  const asyncEngine: LogitsEngine = {
    device: "cpu", numClasses: 4,
    logits: async (x) => {
      calls++;
      // What an ONNX Runtime engine does: values out to a typed array, a result tensor back in.
      const values = x.toFloat32Array(), shape = x.shape;
      await new Promise((r) => setTimeout(r, 1));
      return noGrad(() => tidy(() => {
        const input = fromTypedArray(values, shape);
        return torch.logits(input);
      }));
    },
    dispose: () => torch.dispose(),
  };
  const sync = new Predictor(torch, CONFIG, "random weights", { batchSize: 4, flipTTA: true });
  const viaAsync = new Predictor(asyncEngine, CONFIG, "random weights", { batchSize: 4, flipTTA: true });
  try {
    const volume = phantom(2);
    const want = sync.predictVolume(volume);
    const got = await viaAsync.predictVolumeAsync(volume);
    assert.deepEqual(got.data, want.data);
    assert.equal(calls, batchRanges(volume.dims[2], 4).length);
    assert.throws(() => viaAsync.predictVolume(volume), /this engine is asynchronous: use predictVolumeAsync/);
  } finally {
    viaAsync.dispose();
  }
});

test("batchRanges splits evenly within the batch size", () => {
  assert.deepEqual(batchRanges(10, 8), [[0, 5], [5, 10]]);
  assert.deepEqual(batchRanges(3, 8), [[0, 3]]);
  assert.deepEqual(batchRanges(300, 8).length, 38);
  assert.ok(batchRanges(300, 8).every(([a, b]) => b - a <= 8 && b > a));
  assert.deepEqual(batchRanges(1, 1), [[0, 1]]);
});

test("the automatic batch size fills about 450,000 network pixels, flips counted; --batch-size parses", () => {
  const model = randomModel(1);
  const acdc = sliceGeometry(216, 256, [1.5625, 1.5625], { targetSpacing: TARGET_SPACING, multipleOf: 16 });
  const auto = new Predictor(new TorchEngine(model), CONFIG, "random weights");
  try {
    assert.equal(auto.slicesPerCall(acdc), 5, "5 slices of 320 x 272");
    assert.equal(new Predictor(auto.engine, CONFIG, "w", { flipTTA: true }).slicesPerCall(acdc), 1);
    assert.equal(new Predictor(auto.engine, CONFIG, "w", { batchSize: 3 }).slicesPerCall(acdc), 3);
    const huge = sliceGeometry(1024, 1024, [0.5, 0.5], { targetSpacing: 0.5, multipleOf: 16 });
    assert.equal(auto.slicesPerCall(huge), 1, "never fewer than one slice");
  } finally {
    auto.dispose();
  }
  assert.equal(parseBatchSize("auto"), undefined);
  assert.equal(parseBatchSize("4"), 4);
  assert.throws(() => parseBatchSize("0"), /--batch-size must be a positive integer or auto, got "0"/);
});

test("TorchEngine (folded, channels-last) gives the plain eval model's logits", () => {
  const model = randomModel(4);
  const plain = twin(model);
  const engine = new TorchEngine(model);
  try {
    assert.ok(engine.folded > 10, `${engine.folded} BatchNorms folded`);
    noGrad(() => tidy(() => {
      const x = randn([3, 1, 64, 48], { generator: new Generator(9) });
      const want = plain.forward(x).out, got = engine.logits(x);
      const d = got.sub(want).abs().max().item() / Math.max(1, want.abs().max().item());
      assert.ok(d <= 1e-4, `logits differ by ${d}`);
    }));
  } finally {
    engine.dispose();
    plain.dispose();
  }
});

const noOnednn = packedConvolutionsAvailable() ? false : "this addon was built without oneDNN's headers (libdnnl-dev)";
test("TorchEngine packs its float32 convolutions for oneDNN: Winograd logits near libtorch's, labels >= 99.9%",
  { skip: noOnednn }, () => {
    // Wide enough (16+ channels) for oneDNN's Winograd kernel, which the width-4 test network is not.
    const wide: ModelConfig = { ...MODEL, width: 16, asppChannels: 16, lowLevelChannels: 16 };
    manualSeed(21);
    const model = new DeepLabV3(wide).eval();
    const copy = new DeepLabV3(wide);
    copy.loadStateDict(model.stateDict());
    const packed = new TorchEngine(model);
    const plain = new TorchEngine(copy.eval(), "cpu", "float32", { convolutions: "libtorch" });
    try {
      const convs = model.modules().filter((m): m is Conv2d => m instanceof Conv2d);
      assert.equal(packed.packed, convs.length);
      assert.equal(plain.packed, 0);
      tidy(() => {
        const x = randn([4, 1, 64, 48], { generator: new Generator(5) });
        const want = plain.logits(x), got = packed.logits(x);
        const d = got.sub(want).abs().max().item() / want.abs().max().item();
        assert.ok(d <= 1e-4, `logits differ by ${d} (relative)`);
        const agree = got.argmax(1).eq(want.argmax(1)).to("float32").mean().item();
        assert.ok(agree >= 0.999, `labels agree on ${agree}`);
      });
      const winograd = convs.filter((c) => c.packedImplementation?.includes("wino")).length;
      const avx512 = /\bavx512f\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
      if (avx512) assert.ok(winograd >= 8, `${winograd} Winograd convolutions`);
    } finally {
      packed.dispose();
      plain.dispose();
    }
  });

// Random weights leave small margins between classes, so bfloat16 rounding flips more voxels than with a
// trained model (test/infer/shipped-model.test.ts checks the shipped model on an ACDC frame: >= 99.9%).
test("bfloat16 engine: float32 logits near float32's, labels agreeing on >= 97% of voxels; ONNX refuses it", async () => {
  const model = randomModel(12);
  const reference = twin(model);
  const bf16 = new Predictor(new TorchEngine(model, "cpu", "bfloat16"), CONFIG, "random weights", { batchSize: 4 });
  const f32 = new Predictor(new TorchEngine(reference), CONFIG, "random weights", { batchSize: 4 });
  try {
    tidy(() => {
      const x = randn([2, 1, 64, 64]);
      const lo = bf16.engine.logits(x) as Tensor, hi = f32.engine.logits(x) as Tensor;
      assert.equal(lo.dtype, "float32");
      const err = lo.sub(hi).abs().max().item(), scale = hi.abs().max().item();
      assert.ok(err > 0 && err < 0.05 * scale, `bfloat16 logits off by ${err} (scale ${scale})`);
    });
    const volume = phantom(6);
    const want = f32.predictVolume(volume).data;
    assert.ok(classShares(want).filter((s) => s > 0.01).length >= 3, "the reference labels use several classes");
    const a = agreement(bf16.predictVolume(volume).data, want);
    assert.ok(a >= 0.97, `voxel agreement ${a}`);
  } finally {
    bf16.dispose();
    f32.dispose();
  }
  const { loadPredictor } = await import("../../src/infer/engines.js");
  await assert.rejects(loadPredictor("model.onnx", "onnx", { precision: "bfloat16" }), /--precision bfloat16 is for --engine libtorch/);
  const { parsePrecision } = await import("../../src/infer/engine.js");
  assert.throws(() => parsePrecision("fp16"), /--precision must be one of float32, bfloat16, got "fp16"/);
  await assert.rejects(loadPredictor("model.onnx", "onnx", { convolutions: "winograd" }),
    /--convolutions winograd is for --engine libtorch/);
  const { parseConvolutions } = await import("../../src/infer/engine.js");
  assert.throws(() => parseConvolutions("fft"), /--convolutions must be one of winograd, packed, libtorch, got "fft"/);
  assert.equal(parseConvolutions("packed"), "packed");
});
