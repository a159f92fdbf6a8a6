// `cardioseg pack`: float16 weights-only files that load back to float32 and segment like the run
// they came from; the one model-path resolver (run folders, files, the shipped model's absence).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTraining } from "../../src/train/run.js";
import { Predictor } from "../../src/infer/predictor.js";
import { packWeights } from "../../src/train/pack.js";
import { resolveModelPath, shippedModelPath } from "../../src/train/model-path.js";
import { checkSafetensorsFile, loadSafetensors, readSafetensorsHeader, saveSafetensors } from "../../src/tensor/safetensors.js";
import { generateCase } from "../../src/synth/phantom.js";
import { runPredict } from "../../src/infer/predict.js";
import { loadConfigFile } from "../../src/train/config.js";
import { loadWeightsInto, saveCheckpoint } from "../../src/train/checkpoint.js";
import { DeepLabV3 } from "../../src/models/index.js";
import { F, fromTypedArray, manualSeed, noGrad, tidy } from "../../src/tensor/index.js";

const config = new URL("../../../configs/test-tiny.yaml", import.meta.url).pathname;
const quiet = { progress: "silent" as const, handleSignals: false, log: () => undefined };
let runDir: string;

before(async () => {
  runDir = mkdtempSync(join(tmpdir(), "pack-"));
  await runTraining({ config, out: runDir, ...quiet });
});

test("pack writes float16 weights (BatchNorm statistics float32) with the checkpoint's metadata, half the size", () => {
  const out = join(runDir, "packed", "model.safetensors");
  const r = packWeights(runDir, out);
  assert.equal(r.source, join(runDir, "best.safetensors"));
  const { entries, metadata } = readSafetensorsHeader(out);
  assert.equal(entries.get("backbone.conv1.weight")?.dtype, "F16");
  assert.equal(entries.get("backbone.bn1.running_var")?.dtype, "F32");
  assert.equal(entries.get("backbone.bn1.num_batches_tracked")?.dtype, "I64");
  assert.equal(metadata.dtype, "float16");
  assert.equal(metadata.packed_from, "best.safetensors");
  assert.ok(metadata.config && metadata.model, "model and experiment config kept");
  const ratio = statSync(out).size / statSync(r.source).size;
  assert.ok(ratio > 0.45 && ratio < 0.6, `size ratio ${ratio}`);
  // Its own checksum (not the source's): it verifies, and a flipped byte is refused naming the file.
  const digest = checkSafetensorsFile(out);
  assert.match(String(digest), /^[0-9a-f]{64}$/);
  assert.notEqual(digest, checkSafetensorsFile(r.source));
  const bytes = readFileSync(out);
  bytes[bytes.length - 1] ^= 1;
  const damaged = join(runDir, "packed", "damaged.safetensors");
  writeFileSync(damaged, bytes);
  assert.throws(() => loadSafetensors(damaged), /damaged\.safetensors: checksum mismatch/);
});

/**
 * A tiny model whose labels vary across the image: random weights with BatchNorm statistics taken
 * from a few phantom batches, predicting at 1.5 mm (test-tiny's 5 mm would leave a 2x2 feature map).
 */
function variedModel(dir: string): string {
  const cfg = loadConfigFile(config, ["data.spacing=1.5"]);
  manualSeed(1);
  const model = new DeepLabV3(cfg.model).train();
  const image = generateCase(3, 0, 64).frames[0].image;
  const x = normalised(image.data.subarray(0, 4 * 64 * 64));
  for (let r = 0; r < 30; r++) noGrad(() => tidy(() => { model.forward(fromTypedArray(x, [4, 1, 64, 64])); }));
  model.eval();
  const stem = join(dir, "varied");
  saveCheckpoint(stem, { model, optimizer: null, sidecar: { iter: 0, rng: null, loader: null, best: null, elapsedS: 0, config: cfg } });
  model.dispose();
  return `${stem}.safetensors`;
}

function normalised(v: ArrayLike<number>): Float32Array {
  const d = Float32Array.from(v);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
  return d.map((x) => (x - mean) / sd);
}

/** Softmax probabilities [B, 4, H, W] of a weights file's network on `x` (eval mode, float32 compute). */
function probsOf(weights: string, x: Float32Array, shape: [number, number, number, number]): { probs: Float32Array; dtype: string } {
  const model = new DeepLabV3(loadConfigFile(config, ["data.spacing=1.5"]).model);
  try {
    loadWeightsInto(model, weights);
    model.eval();
    const dtype = model.stateDict().get("backbone.conv1.weight")!.dtype;
    const probs = noGrad(() => tidy(() => F.softmax(model.forward(fromTypedArray(x, shape)).out, 1).toFloat32Array()));
    return { probs, dtype };
  } finally {
    model.dispose();
  }
}

test("a float16 round trip gives the float32 labels wherever float32 is confident", () => {
  const src = variedModel(runDir);
  const out = join(runDir, "varied16.safetensors");
  packWeights(src, out);
  const image = generateCase(9, 0, 64).frames[0].image;
  const B = 4, n = 64 * 64;
  const x = normalised(image.data.subarray(0, B * n));
  const a = probsOf(src, x, [B, 1, 64, 64]), b = probsOf(out, x, [B, 1, 64, 64]);
  assert.equal(b.dtype, "float32", "loaded back as float32");
  const classes = new Set<number>();
  let differ = 0, differConfident = 0, maxProbDiff = 0;
  for (let i = 0; i < a.probs.length; i++) maxProbDiff = Math.max(maxProbDiff, Math.abs(a.probs[i] - b.probs[i]));
  for (let s = 0; s < B; s++) {
    for (let i = 0; i < n; i++) {
      const pa = [0, 1, 2, 3].map((c) => a.probs[(s * 4 + c) * n + i]), pb = [0, 1, 2, 3].map((c) => b.probs[(s * 4 + c) * n + i]);
      const la = pa.indexOf(Math.max(...pa)), lb = pb.indexOf(Math.max(...pb));
      classes.add(la);
      if (la === lb) continue;
      differ++;
      // A flip is only acceptable where float32 itself hesitates between its top two classes.
      const sorted = [...pa].sort((p, q) => q - p);
      if (sorted[0] - sorted[1] > 1e-2) differConfident++;
    }
  }
  assert.ok(classes.size >= 3, `the model predicts ${classes.size} classes; the comparison needs several`);
  assert.ok(maxProbDiff > 0 && maxProbDiff < 5e-3, `probabilities move by ${maxProbDiff}`);
  assert.equal(differConfident, 0, "no confident pixel changes class");
  assert.ok(differ <= B * n * 1e-2, `${differ} of ${B * n} pixels differ`);

  // End to end through the volume predictor (BatchNorm folded, resampling): the same label maps but for a few pixels.
  const full = Predictor.load(src), half = Predictor.load(out);
  try {
    const la = full.predictVolume(image).data, lb = half.predictVolume(image).data;
    let diff = 0;
    for (let i = 0; i < la.length; i++) if (la[i] !== lb[i]) diff++;
    assert.ok(diff <= la.length * 1e-2, `${diff} of ${la.length} voxels differ`);
    assert.equal(half.weightsPath, out);
  } finally {
    full.dispose();
    half.dispose();
  }
});

test("pack refuses weights beyond float16's range, naming the tensor", () => {
  const { tensors, metadata } = loadSafetensors(join(runDir, "best.safetensors"));
  const big = tensors.get("classifier.4.weight")!.mul(1e6);
  tensors.set("classifier.4.weight", big);
  const bad = join(runDir, "big.safetensors");
  saveSafetensors(bad, tensors, metadata, { checksum: true }); // its own checksum, not best's
  for (const t of tensors.values()) t.dispose();
  assert.throws(() => packWeights(bad, join(runDir, "big16.safetensors")), /"classifier\.4\.weight" has values beyond float16's range/);
  assert.ok(!existsSync(join(runDir, "big16.safetensors")));
  packWeights(bad, join(runDir, "big32.safetensors"), "float32");
});

test("the model resolver: run folders, files, and a clear message while no shipped model exists", { skip: existsSync(shippedModelPath()) && "a shipped model exists here" }, async () => {
  assert.equal(resolveModelPath(runDir), join(runDir, "best.safetensors"));
  assert.equal(resolveModelPath(join(runDir, "last.safetensors")), join(runDir, "last.safetensors"));
  assert.throws(() => resolveModelPath(join(runDir, "nope")), /no such run folder or checkpoint/);
  for (const arg of [undefined, "", "shipped"]) assert.throws(() => resolveModelPath(arg), /no --model given and this installation has no shipped model yet/);
  await assert.rejects(runPredict({ inputs: ["x.nii.gz"], out: join(runDir, "p"), log: () => undefined }), /no shipped model yet/);
});
