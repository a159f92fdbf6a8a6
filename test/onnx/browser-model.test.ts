// The browser model (src/onnx/browser-model.ts): where the network's ONNX comes from. A run folder
// is exported on first use into the cache, keyed by the weights' sha256, and found there the next
// time; an .onnx beside the weights is used when it was exported from those very weights and
// ignored when not; a given .onnx is used as it is; the manifest names the classes and spacing; a
// checkpoint the exporter cannot express is refused with the reason before any export.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachedNetworkPath, checkBrowserModel, prepareBrowserModel } from "../../src/onnx/browser-model.js";
import { exportOnnx } from "../../src/onnx/export.js";
import { modelMetadata, parseModel } from "../../src/onnx/proto.js";
import { fileSha256 } from "../../src/util/hash.js";
import { loadSafetensors, saveSafetensors } from "../../src/tensor/safetensors.js";
import { tinyRun, type TinyRun } from "../infer/helpers.js";

let run: TinyRun;
let cache: string;

before(async () => {
  run = await tinyRun("cardioseg-browser-model-");
  cache = join(run.root, "cache");
  process.env.CARDIOSEG_CACHE_DIR = cache;
});

test("a run folder is exported on first use into the cache (keyed by the weights' sha256), then found there", () => {
  const weights = join(run.runDir, "best.safetensors");
  const sha = fileSha256(weights);
  const first = prepareBrowserModel(run.runDir);
  assert.equal(first.origin, "exported");
  assert.equal(first.networkPath, cachedNetworkPath(sha, cache));
  assert.equal(modelMetadata(parseModel(readFileSync(first.networkPath), "cached"))["cardioseg.weights_sha256"], sha);
  assert.deepEqual(first.manifest.classNames, ["background", "RV", "MYO", "LV"]);
  assert.equal(first.manifest.sha256, sha);
  assert.equal(first.manifest.numClasses, 4);
  assert.ok(first.manifest.spacingMm > 0);
  const mtime = statSync(first.networkPath).mtimeMs;
  const second = prepareBrowserModel(join(run.runDir, "best.safetensors"));
  assert.equal(second.origin, "cache");
  assert.equal(statSync(second.networkPath).mtimeMs, mtime, "not exported again");
  assert.ok(first.preprocess.length > 0 && first.postprocess.length > 0);
});

test("an .onnx beside the weights is used when it was exported from them, ignored when not", () => {
  const dir = join(run.root, "shipped");
  mkdirSync(dir);
  copyFileSync(join(run.runDir, "best.safetensors"), join(dir, "best.safetensors"));
  exportOnnx({ model: join(dir, "best.safetensors"), out: join(dir, "best.onnx"), dynamic: true, foldBatchNorm: true });
  const beside = prepareBrowserModel(dir);
  assert.equal(beside.origin, "beside the weights");
  assert.equal(beside.networkPath, join(dir, "best.onnx"));
  // Other weights under the same name (the last tensor changed, saved with their own checksum; a
  // flipped byte would be refused as corruption): the .onnx no longer matches.
  const { tensors, metadata } = loadSafetensors(join(dir, "best.safetensors"));
  const [name, last] = [...tensors].at(-1)!;
  tensors.set(name, last.add(1));
  saveSafetensors(join(dir, "best.safetensors"), tensors, metadata, { checksum: true });
  for (const t of [...tensors.values(), last]) t.dispose();
  const other = prepareBrowserModel(dir);
  assert.notEqual(other.origin, "beside the weights");
  assert.equal(other.networkPath, cachedNetworkPath(fileSha256(join(dir, "best.safetensors")), cache));
});

test("a given .onnx file is used as it is", () => {
  const out = join(run.root, "given.onnx");
  exportOnnx({ model: run.runDir, out, dynamic: true });
  const given = prepareBrowserModel(out);
  assert.equal(given.origin, "given");
  assert.equal(given.networkPath, out);
  assert.equal(given.manifest.source, "given.onnx");
});

test("what cannot run in a browser is refused with the reason, before any export", () => {
  assert.throws(() => checkBrowserModel(join(run.root, "missing")), /no such run folder or checkpoint/);
  const notOnnx = join(run.root, "notes.onnx");
  writeFileSync(notOnnx, "not a model");
  assert.throws(() => checkBrowserModel(notOnnx), /notes\.onnx: not an ONNX model/);
  assert.ok(existsSync(cache));
});
