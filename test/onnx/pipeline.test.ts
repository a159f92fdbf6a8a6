// The pre/postprocessing graphs (src/onnx/pipeline.ts) against the libtorch path they stand in for
// (src/data/preprocess-tensor.ts, which the volume predictor runs): on onnxruntime-node and on
// onnxruntime-web's WebAssembly backend under Node (the browser's runtime), the preprocessing gives
// preprocessBatch's network input within float rounding for every kind of geometry (down- and
// up-sampling, unequal axes, a size that does not change, which ATen copies), flat slices, outliers
// and non-finite pixels; the postprocessing gives restoreScoresBatch + argmax's labels; and the
// whole chain (pipeline-run.ts, the page's code) labels a phantom volume as the volume predictor
// does on libtorch.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { sliceGeometry, type SliceGeometry } from "../../src/data/preprocess.js";
import { preprocessBatch, restoreScoresBatch } from "../../src/data/preprocess-tensor.js";
import { Predictor, TorchEngine } from "../../src/infer/index.js";
import { batchRanges } from "../../src/infer/batching.js";
import { readNifti } from "../../src/io/nifti/index.js";
import { Conv2d, foldBatchNorm_ } from "../../src/nn/index.js";
import { exportMetadata } from "../../src/onnx/metadata.js";
import { modelToOnnx } from "../../src/onnx/export.js";
import { postprocessGraph, preprocessGraph } from "../../src/onnx/pipeline.js";
import { POST, PRE, postprocessFeeds, preprocessFeeds } from "../../src/onnx/pipeline-feeds.js";
import { segmentFrameOnnx, type PipelineSessions, type TensorClass } from "../../src/onnx/pipeline-run.js";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { F, fromTypedArray, noGrad, tidy } from "../../src/tensor/index.js";
import { defaultExperimentConfig, type ExperimentConfig } from "../../src/train/config.js";
import { COVERING_VARIANTS, tinyModel } from "./helpers.js";

// Single-threaded: WASM threads would need worker files the test does not serve.
ortWeb.env.wasm.numThreads = 1;

interface Runtime {
  name: string;
  Tensor: TensorClass;
  create(bytes: Uint8Array): Promise<PipelineSessions["pre"]>;
}

const RUNTIMES: Runtime[] = [
  { name: "onnxruntime-node", Tensor: ortNode.Tensor as unknown as TensorClass, create: (b) => ortNode.InferenceSession.create(b) as unknown as Promise<PipelineSessions["pre"]> },
  { name: "onnxruntime-web (WASM)", Tensor: ortWeb.Tensor, create: (b) => ortWeb.InferenceSession.create(b, { executionProviders: ["wasm"] }) },
];

/** [width, height, spacing x, spacing y, model spacing]: what each case exercises. */
const GEOMETRIES: [string, number, number, number, number, number][] = [
  ["ACDC-like: up-sampled 1.5625 -> 1.25 mm", 216, 256, 1.5625, 1.5625, 1.25],
  ["unequal axes, odd sizes", 41, 35, 1.6, 1.4, 1.25],
  ["down-sampled 0.9 -> 1.25 mm", 50, 44, 0.9, 0.9, 1.25],
  ["already at the model's spacing", 20, 24, 1.25, 1.25, 1.25],
  ["a size that does not change though the spacing does (ATen copies)", 10, 12, 1.3, 1.3, 1.25],
];

let seed = 12345;
function random(): number {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
}

/** Slices with an image-like spread, a few outliers, and (slice 1) a flat one. */
function rawSlices(b: number, h: number, w: number): Float32Array {
  const x = new Float32Array(b * h * w);
  for (let i = 0; i < x.length; i++) x[i] = Math.round(400 * random() + 100 * Math.sin(i / 7)) * (random() < 0.005 ? 8 : 1);
  if (b > 1) x.fill(37, h * w, 2 * h * w);
  return x;
}

function geometryOf(w: number, h: number, sx: number, sy: number, t: number): SliceGeometry {
  return sliceGeometry(w, h, [sx, sy], { targetSpacing: t, multipleOf: 16 });
}

function feedsPre(rt: Runtime, raw: Float32Array, b: number, g: SliceGeometry): Record<string, InstanceType<TensorClass>> {
  const f = preprocessFeeds(g);
  return {
    [PRE.raw]: new rt.Tensor("float32", raw, [b, 1, g.height, g.width]),
    [PRE.srcStep]: new rt.Tensor("float32", f.src_step, [2]),
    [PRE.resampledSize]: new rt.Tensor("int64", f.resampled_size, [2]),
    [PRE.pads]: new rt.Tensor("int64", f.pads, [8]),
  };
}

const sessions = new Map<string, { pre: PipelineSessions["pre"]; post: PipelineSessions["pre"] }>();

before(async () => {
  for (const rt of RUNTIMES) sessions.set(rt.name, { pre: await rt.create(preprocessGraph()), post: await rt.create(postprocessGraph(4)) });
});

for (const rt of RUNTIMES) {
  test(`${rt.name}: the preprocessing graph gives preprocessBatch's network input`, async () => {
    const { pre } = sessions.get(rt.name)!;
    for (const [name, w, h, sx, sy, t] of GEOMETRIES) {
      const b = 3;
      const raw = rawSlices(b, h, w);
      const g = geometryOf(w, h, sx, sy, t);
      const want = noGrad(() => tidy(() => preprocessBatch(fromTypedArray(raw, [b, 1, h, w]), g).toFloat32Array()));
      const out = await pre.run(feedsPre(rt, raw, b, g));
      assert.deepEqual(out[PRE.image].dims, [b, 1, g.outHeight, g.outWidth], name);
      const got = out[PRE.image].data as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      assert.ok(worst <= 2e-6, `${name}: relative difference ${worst}`);
      assert.equal((out[PRE.nonfinite].data as Float32Array)[0], 0);
      // The flat slice is its own padding value everywhere (std taken as 1): 0 after centring.
      assert.ok(got.subarray(g.outWidth * g.outHeight, 2 * g.outWidth * g.outHeight).every((v) => v === 0), `${name}: flat slice`);
    }
  });

  test(`${rt.name}: the preprocessing graph counts non-finite pixels (the libtorch path refuses them)`, async () => {
    const { pre } = sessions.get(rt.name)!;
    const g = geometryOf(20, 24, 1.25, 1.25, 1.25);
    const raw = rawSlices(2, 24, 20);
    raw[5] = NaN;
    raw[700] = Infinity;
    const out = await pre.run(feedsPre(rt, raw, 2, g));
    assert.equal((out[PRE.nonfinite].data as Float32Array)[0], 2);
    assert.throws(() => preprocessBatch(fromTypedArray(raw, [2, 1, 24, 20]), g), /NaN or infinite/);
  });

  test(`${rt.name}: the postprocessing graph gives restoreScoresBatch + argmax's labels`, async () => {
    const { post } = sessions.get(rt.name)!;
    for (const [name, w, h, sx, sy, t] of GEOMETRIES) {
      const b = 2, c = 4;
      const g = geometryOf(w, h, sx, sy, t);
      const logits = new Float32Array(b * c * g.outHeight * g.outWidth).map(() => 6 * random() - 3);
      const { want, margin } = noGrad(() => tidy(() => {
        const scores = restoreScoresBatch(F.softmax(fromTypedArray(logits, [b, c, g.outHeight, g.outWidth]), 1), g);
        const top2 = scores.topk(2, 1).values;
        return {
          want: scores.max(1).indices.to({ dtype: "uint8" }).toArray() as Uint8Array,
          margin: top2.narrow(1, 0, 1).sub(top2.narrow(1, 1, 1)).toFloat32Array(),
        };
      }));
      const f = postprocessFeeds(g);
      const out = await post.run({
        [POST.logits]: new rt.Tensor("float32", logits, [b, c, g.outHeight, g.outWidth]),
        [POST.cropStarts]: new rt.Tensor("int64", f.crop_starts, [2]), [POST.cropEnds]: new rt.Tensor("int64", f.crop_ends, [2]),
        [POST.dstStep]: new rt.Tensor("float32", f.dst_step, [2]), [POST.outSize]: new rt.Tensor("int64", f.out_size, [2]),
      });
      assert.deepEqual(out[POST.labels].dims, [b, h, w], name);
      const got = out[POST.labels].data as Uint8Array;
      // Pixels whose two best restored probabilities are within float rounding may go either way.
      let differing = 0, compared = 0;
      for (let i = 0; i < want.length; i++) {
        if (margin[i] <= 1e-6) continue;
        compared++;
        if (got[i] !== want[i]) differing++;
      }
      assert.equal(differing, 0, `${name}: ${differing} labels differ`);
      assert.ok(compared > 0.99 * want.length, name);
      assert.ok(new Set(want).size === c, `${name}: every class occurs`);
    }
  });
}

test("pre -> network -> post on onnxruntime-web (pipeline-run.ts, the page's code) labels a volume as the volume predictor on libtorch", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-pipeline-"));
  writeSynthDataset({ out: dir, cases: 1, seed: 3, size: 64, preview: false });
  const image = readNifti(join(dir, "patient001", "patient001_frame01.nii.gz"));
  const variant = COVERING_VARIANTS.find((v) => v.name === "v3+ R18 OS16 BN")!; // acdc-cpu's architecture
  const config: ExperimentConfig = { ...defaultExperimentConfig, model: variant.config, data: { ...defaultExperimentConfig.data, spacing: 1.1 } };
  const model = tinyModel(config.model, 11);
  // Random heads favour one class everywhere through their bias: make the pixels decide instead.
  const head = model.classifier.modules().filter((m): m is Conv2d => m instanceof Conv2d && m.outChannels === config.model.numClasses).at(-1)!;
  noGrad(() => { head.bias!.zero_(); head.weight.mul_(20); });
  foldBatchNorm_(model);
  const metadata = exportMetadata(config, { cardiosegVersion: "test", weights: "random", iteration: null, foldBatchNorm: true, opset: 17, dynamic: true });
  const network = modelToOnnx(model, { dynamic: true, metadata });
  const predictor = new Predictor(new TorchEngine(model), config, "random");
  try {
    const want = predictor.predictVolume(image);
    const create = (b: Uint8Array): Promise<ortWeb.InferenceSession> => ortWeb.InferenceSession.create(b, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const s = { pre: await create(preprocessGraph()), net: await create(network), post: await create(postprocessGraph(4)) };
    const batches: [number, number][] = [];
    const got = await segmentFrameOnnx(ortWeb.Tensor, s, config.data.spacing, image, { onBatch: (from, to) => batches.push([from, to]), batchSize: 4 });
    assert.deepEqual(batches, batchRanges(image.dims[2], 4), "batched as the volume predictor batches");
    assert.equal(got.length, want.data.length);
    assert.ok(new Set(want.data).size >= 3, "the labels are not trivial");
    let same = 0;
    for (let i = 0; i < got.length; i++) if (got[i] === want.data[i]) same++;
    assert.ok(same / got.length >= 0.9995, `voxel agreement ${same / got.length}`);
    for (const x of Object.values(s)) await x.release();
  } finally {
    predictor.dispose();
  }
});
