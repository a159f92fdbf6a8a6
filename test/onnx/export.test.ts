// `cardioseg export` on a tiny trained run: the file loads in onnxruntime-node with every graph
// optimisation on and gives the libtorch model's logits, its metadata records what another host needs
// (checked against the checkpoint itself, not against the exporter's own helpers), each opset the
// exporter offers loads, and bad input (no weights, a config field the exporter cannot express, an
// unwritable --out) gives a clear message and leaves no file behind. OnnxEngine runs an export.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { CLI_MAIN, tinyRun, type TinyRun } from "../infer/helpers.js";
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from "../../src/tensor/safetensors.js";
import { modelMetadata, parseModel } from "../../src/onnx/proto.js";
import { OnnxEngine } from "../../src/onnx/runtime.js";
import { exportOnnx } from "../../src/onnx/export.js";
import { readWeightsConfig } from "../../src/infer/predictor.js";
import { DeepLabV3 } from "../../src/models/index.js";
import { loadWeightsInto } from "../../src/train/checkpoint.js";
import { F, fromTypedArray, noGrad, tidy } from "../../src/tensor/index.js";
import { REPO } from "../paths.js";
import { maxAbsDiff, randomInput } from "./helpers.js";

let run: TinyRun;
let weights: string;

before(async () => {
  run = await tinyRun("cardioseg-onnx-");
  weights = join(run.runDir, "best.safetensors");
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_MAIN, "export", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** libtorch softmax probabilities of the run's best weights (what `predict` computes). */
function torchProbs(x: Float32Array, b: number, h: number, w: number): Float32Array {
  const model = new DeepLabV3(readWeightsConfig(weights).model);
  try {
    loadWeightsInto(model, weights);
    model.eval();
    return noGrad(() => tidy(() => F.softmax(model.forward(fromTypedArray(x, [b, 1, h, w])).out, 1).toFloat32Array()));
  } finally {
    model.dispose();
  }
}

function softmax(logits: Float32Array, b: number, c: number, plane: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let n = 0; n < b; n++) {
    for (let p = 0; p < plane; p++) {
      let max = -Infinity, sum = 0;
      for (let k = 0; k < c; k++) max = Math.max(max, logits[(n * c + k) * plane + p]);
      for (let k = 0; k < c; k++) sum += Math.exp(logits[(n * c + k) * plane + p] - max);
      for (let k = 0; k < c; k++) out[(n * c + k) * plane + p] = Math.exp(logits[(n * c + k) * plane + p] - max) / sum;
    }
  }
  return out;
}

test("export --dynamic --fold-bn: ONNX Runtime (optimisations on) gives the libtorch probabilities", async () => {
  const out = join(run.root, "model.onnx");
  const r = cli("--model", run.runDir, "--out", out, "--dynamic", "--fold-bn");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /input image \[batch, 1, height, width\] -> logits \[batch, 4, height, width\].*BatchNorm\(s\) folded/);
  const session = await ort.InferenceSession.create(readFileSync(out), { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
  try {
    for (const [b, h, w] of [[2, 48, 48], [1, 32, 64]]) {
      const x = randomInput(b * h + w, b, 1, h, w);
      const got = (await session.run({ image: new ort.Tensor("float32", x, [b, 1, h, w]) })).logits;
      const d = maxAbsDiff(softmax(got.data as Float32Array, b, 4, h * w), torchProbs(x, b, h, w));
      assert.ok(d <= 1e-5, `${b}x1x${h}x${w}: probabilities differ by ${d}`);
    }
  } finally {
    await session.release();
  }
});

test("the metadata records spacing, normalisation, crop/pad, classes, version and the training config hash", () => {
  const out = join(run.root, "static.onnx");
  const r = cli("--model", run.runDir, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const model = parseModel(readFileSync(out), out);
  const meta = modelMetadata(model);
  const stored = readSafetensorsHeader(weights).metadata;
  const config = JSON.parse(stored.config) as { data: { spacing: number; cropSize: number; task: string }; model: { numClasses: number } };
  assert.equal(meta["cardioseg.config_sha256"], createHash("sha256").update(stored.config).digest("hex"));
  assert.equal(meta["cardioseg.config"], stored.config);
  assert.equal(meta["cardioseg.version"], (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version);
  assert.equal(Number(meta["cardioseg.spacing_mm"]), config.data.spacing);
  assert.equal(meta["cardioseg.task"], "regions");
  assert.deepEqual(JSON.parse(meta["cardioseg.classes"]), [
    { label: 0, name: "background" }, { label: 1, name: "RV" }, { label: 2, name: "MYO" }, { label: 3, name: "LV" },
  ]);
  const pre = JSON.parse(meta["cardioseg.preprocessing"]) as {
    resample: { spacing_mm: number[] }; normalisation: { low_percentile: number; high_percentile: number }; crop_pad: { training_crop_px: number; inference: string };
  };
  assert.deepEqual(pre.resample.spacing_mm, [config.data.spacing, config.data.spacing]);
  assert.deepEqual([pre.normalisation.low_percentile, pre.normalisation.high_percentile], [0.5, 99.5]);
  assert.equal(pre.crop_pad.training_crop_px, config.data.cropSize);
  assert.match(pre.crop_pad.inference, /multiple of 16/);
  assert.match(JSON.parse(meta["cardioseg.postprocessing"]).labels as string, /argmax/);
  assert.equal(meta["cardioseg.fold_bn"], "false");
  // Without --dynamic: batch 1 and the training crop size.
  const dims = model.graph!.input[0].type!.value.value!;
  const shape = "shape" in dims ? dims.shape!.dim.map((d) => Number(d.value.value)) : [];
  assert.deepEqual(shape, [1, 1, config.data.cropSize, config.data.cropSize]);
  assert.equal(model.producerName, "cardioseg");
  assert.equal(model.opsetImport[0].version, 17n);
});

test("every opset the exporter offers loads in ONNX Runtime; others are refused", async () => {
  for (const opset of [13, 21]) {
    const out = join(run.root, `opset${opset}.onnx`);
    exportOnnx({ model: weights, out, opset, height: 48, width: 32, batch: 2 });
    const session = await ort.InferenceSession.create(readFileSync(out), { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
    const got = await session.run({ image: new ort.Tensor("float32", randomInput(opset, 2, 1, 48, 32), [2, 1, 48, 32]) });
    assert.deepEqual(got.logits.dims, [2, 4, 48, 32]);
    await session.release();
  }
  assert.throws(() => exportOnnx({ model: weights, out: join(run.root, "opset9.onnx"), opset: 9 }), /--opset must be an integer from 13 to 21, got 9/);
});

/** Files in `dir` that an export may have left (the ONNX file or a temporary). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".onnx") || f.endsWith(".tmp"));
}

test("bad input: no weights, an inexpressible config field, an unwritable --out; no file left", () => {
  const dir = join(run.root, "bad");
  mkdirSync(dir, { recursive: true });
  const emptyRun = join(dir, "empty-run");
  mkdirSync(emptyRun);
  const r = cli("--model", emptyRun, "--out", join(dir, "a.onnx"));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /empty-run: the run folder has neither best.safetensors nor last.safetensors/);

  // A checkpoint from a cardioseg with an architecture field this exporter does not know, and one out of range.
  const { tensors, metadata } = loadSafetensors(weights);
  try {
    const model = JSON.parse(metadata.model) as Record<string, unknown>;
    const future = join(dir, "future.safetensors");
    saveSafetensors(future, tensors, { ...metadata, model: JSON.stringify({ ...model, attention: "axial" }) }, { checksum: true });
    assert.throws(() => exportOnnx({ model: future, out: join(dir, "b.onnx") }),
      /future.safetensors: cannot export model.attention: this exporter .* does not know that field/);
    const odd = join(dir, "odd.safetensors");
    saveSafetensors(odd, tensors, { ...metadata, model: JSON.stringify({ ...model, outputStride: 4 }) }, { checksum: true });
    assert.throws(() => exportOnnx({ model: odd, out: join(dir, "c.onnx") }), /odd.safetensors: metadata "model": model.outputStride: must be 8, 16 or 32, got 4/);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }

  const aFile = join(dir, "file.txt");
  writeFileSync(aFile, "not a folder");
  assert.throws(() => exportOnnx({ model: run.runDir, out: join(aFile, "model.onnx") }),
    /file.txt\/model.onnx: cannot write there \(.*file.txt is a file, not a folder\)/);
  assert.throws(() => exportOnnx({ model: run.runDir, out: dir }), /is a folder; give the path of the .onnx file to write/);
  // A folder no file can be created in, even as root (procfs): the failure comes from the write itself.
  assert.throws(() => exportOnnx({ model: run.runDir, out: "/proc/cardioseg-test.onnx" }), /\/proc\/cardioseg-test.onnx: cannot write the ONNX file/);
  assert.deepEqual(leftovers(dir), []);
  assert.deepEqual(readdirSync("/proc").filter((f) => f.includes("cardioseg-test")), []);
});

test("OnnxEngine runs an exported file and a run folder (exported in memory) like libtorch", async () => {
  const file = join(run.root, "engine.onnx");
  exportOnnx({ model: run.runDir, out: file, dynamic: true });
  const x = randomInput(9, 2, 1, 40, 48);
  const want = torchProbs(x, 2, 40, 48);
  for (const source of [file, run.runDir]) {
    const engine = await OnnxEngine.load(source, { threads: 1 });
    try {
      assert.equal(engine.numClasses, 4);
      assert.deepEqual(engine.classes.map((c) => c.name), ["background", "RV", "MYO", "LV"]);
      assert.equal(engine.config.data.spacing, 5);
      const logits = await engine.logitsArray(x, 2, 40, 48);
      assert.ok(maxAbsDiff(softmax(logits, 2, 4, 40 * 48), want) <= 1e-5, source);
      await assert.rejects(engine.logitsArray(x, 1, 40, 48), /values for a 1x1x40x48 input/);
    } finally {
      engine.dispose();
    }
  }
});

test("OnnxEngine refuses a file that is not an ONNX model or not a cardioseg export, naming it", async () => {
  const garbage = join(run.root, "garbage.onnx");
  writeFileSync(garbage, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
  await assert.rejects(OnnxEngine.load(garbage), /garbage.onnx: not an ONNX model/);
  // A valid ONNX model without cardioseg's metadata: a bare Identity graph written by the same serialiser.
  const { serializeModel } = await import("../../src/onnx/proto.js");
  const { OnnxGraph, Identity } = await import("../../src/nn/index.js");
  const id = new Identity();
  const g = new OnnxGraph(id);
  g.output(id.toOnnx(g, "image"), "logits");
  const foreign = join(run.root, "foreign.onnx");
  writeFileSync(foreign, serializeModel({
    graph: g, graphName: "identity", inputs: [{ name: "image", shape: [1, 1, 4, 4] }], outputs: [{ name: "logits", shape: [1, 1, 4, 4] }],
    opset: 17, producerVersion: "0", docString: "", metadata: {},
  }));
  await assert.rejects(OnnxEngine.load(foreign), /foreign.onnx: not a model exported by cardioseg/);
});
