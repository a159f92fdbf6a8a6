// `--engine onnx`: the volume predictor (src/infer) with the ONNX Runtime engine behind its
// LogitsEngine seam labels whole volumes as with libtorch — on a model whose labels are not trivial
// (random weights, randomised normalisation) — and `predict --engine onnx` (from the run folder or
// from an exported .onnx file) writes the same files with the same labels as the default engine;
// `evaluate --engine onnx` scores the same.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { readNifti } from "../../src/io/nifti/index.js";
import { Predictor, TorchEngine, readWeightsConfig, runEvaluate, runPredict } from "../../src/infer/index.js";
import { OnnxEngine } from "../../src/onnx/runtime.js";
import { exportOnnx, modelToOnnx } from "../../src/onnx/export.js";
import { exportMetadata } from "../../src/onnx/metadata.js";
import { tinyRun, type TinyRun } from "../infer/helpers.js";
import { tinyModel } from "./helpers.js";
import { Conv2d } from "../../src/nn/index.js";
import { noGrad } from "../../src/tensor/index.js";

let run: TinyRun;
let frame: string;
const quiet = (): void => undefined;

before(async () => {
  run = await tinyRun("cardioseg-onnx-engine-");
  frame = join(run.dataDir, "patient001", "patient001_frame01.nii.gz");
});

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).map((f) => relative(dir, join(dir, f))).sort();
}

function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

test("the volume predictor labels a volume the same on ONNX Runtime as on libtorch (non-trivial labels)", async () => {
  // At the tiny run's 5 mm the phantom is 16 px, one feature at output stride 16: predict at 1 mm.
  const trained = readWeightsConfig(join(run.runDir, "best.safetensors"));
  const config = { ...trained, data: { ...trained.data, spacing: 1 } };
  const model = tinyModel(config.model, 11);
  // Random heads favour one class everywhere through their bias: make the pixels decide instead.
  const head = model.classifier.modules().filter((m): m is Conv2d => m instanceof Conv2d && m.outChannels === config.model.numClasses).at(-1)!;
  noGrad(() => { head.bias!.zero_(); head.weight.mul_(20); });
  const metadata = exportMetadata(config, { cardiosegVersion: "test", weights: "random", iteration: null, foldBatchNorm: false, opset: 17, dynamic: true });
  const onnx = await OnnxEngine.fromBytes(modelToOnnx(model, { dynamic: true, metadata }), "random.onnx", { threads: 1 });
  const torch = new Predictor(new TorchEngine(model), config, "random", { flipTTA: true, batchSize: 3 });
  const viaOnnx = new Predictor(onnx, config, "random.onnx", { flipTTA: true, batchSize: 3 });
  try {
    const image = readNifti(frame);
    const want = torch.predictVolume(image);
    const got = await viaOnnx.predictVolumeAsync(image);
    assert.deepEqual(got.dims, want.dims);
    assert.ok(new Set(want.data).size >= 2, "the labels use more than one class");
    const agree = agreement(got.data, want.data);
    assert.ok(agree >= 0.9999, `voxel agreement ${agree}`);
    assert.throws(() => viaOnnx.predictVolume(image), /asynchronous: use predictVolumeAsync/);
  } finally {
    torch.dispose();
    viaOnnx.dispose();
  }
});

test("predict --engine onnx (run folder or exported file) writes the libtorch engine's files and labels", async () => {
  const exported = join(run.root, "tiny.onnx");
  exportOnnx({ model: run.runDir, out: exported, dynamic: true, foldBatchNorm: true });
  const outs: Record<string, string> = {};
  for (const [name, model, engine] of [["libtorch", run.runDir, "libtorch"], ["onnx-run", run.runDir, "onnx"], ["onnx-file", exported, "onnx"]] as const) {
    outs[name] = join(run.root, `pred-${name}`);
    const s = await runPredict({ model, inputs: [frame], out: outs[name], formats: ["nifti", "png", "contours"], engine, log: quiet });
    assert.deepEqual(s.failures, []);
  }
  const want = files(outs.libtorch);
  const labels = readNifti(join(outs.libtorch, "patient001_frame01", "patient001_frame01_pred.nii.gz")).data;
  for (const name of ["onnx-run", "onnx-file"]) {
    assert.deepEqual(files(outs[name]), want, `${name}: same files`);
    const got = readNifti(join(outs[name], "patient001_frame01", "patient001_frame01_pred.nii.gz")).data;
    assert.ok(agreement(got, labels) >= 0.9999, `${name}: labels agree`);
  }
  await assert.rejects(runPredict({ model: exported, inputs: [frame], out: join(run.root, "pred-bad"), engine: "libtorch", log: quiet }),
    /tiny.onnx/, "the libtorch engine names the .onnx file it cannot read");
});

test("evaluate --engine onnx scores like the libtorch engine", async () => {
  const reports = [];
  for (const engine of ["libtorch", "onnx"] as const) {
    const r = await runEvaluate({ model: run.runDir, data: run.dataDir, out: join(run.root, `eval-${engine}`), overlays: 0, engine, log: quiet });
    assert.ok(r.report.cases.length > 0);
    reports.push(r.report);
  }
  const [lt, ort] = reports;
  assert.deepEqual(ort.cases.map((c) => c.id), lt.cases.map((c) => c.id));
  assert.equal(typeof lt.mean_dice, "number");
  assert.ok(Math.abs((ort.mean_dice ?? NaN) - (lt.mean_dice ?? NaN)) <= 1e-3, `mean Dice ${ort.mean_dice} vs ${lt.mean_dice}`);
});
