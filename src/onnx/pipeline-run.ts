// pipeline-run.ts owns running a model as the three ONNX graphs of a browser model (preprocess,
// network, postprocess; browser-model.ts) on any ONNX Runtime (onnxruntime-web in the page,
// onnxruntime-web or -node in the tests): one 3D frame, batched as the volume predictor batches
// (src/infer/batching.ts), each batch's raw slices in and uint8 labels out. The geometry is
// computed once per frame (pipeline-feeds.ts); no pixel passes through a JavaScript loop. Nothing
// Node-only is imported: the page bundles this file.
import type { InferenceSession, Tensor } from "onnxruntime-web";
import { sliceGeometry } from "../data/preprocess.js";
import { NETWORK_MULTIPLE, autoBatchSize, batchRanges } from "../infer/batching.js";
import type { ImageVolume, VoxelArray } from "../io/image.js";
import { POST, PRE, postprocessFeeds, preprocessFeeds } from "./pipeline-feeds.js";
import { INPUT_NAME, OUTPUT_NAME } from "./metadata.js";

/** The three sessions of a browser model. */
export interface PipelineSessions {
  readonly pre: InferenceSession;
  readonly net: InferenceSession;
  readonly post: InferenceSession;
}

/** The runtime's Tensor class (onnxruntime-web's or -node's: both are onnxruntime-common's). */
export type TensorClass = typeof Tensor;

/** Float32 slices (a copy-conversion for other voxel types, the conversion the libtorch path makes). */
function float32(data: VoxelArray): Float32Array {
  return data instanceof Float32Array ? data : new Float32Array(data);
}

/**
 * Labels of every slice of one 3D frame on its own grid (file voxel order), for a model trained
 * at `spacingMm`. `onBatch(from, to, labels)` gets each batch's slices [from, to) as they finish;
 * `signal` stops between batches. `batchSize` overrides the automatic one.
 */
export async function segmentFrameOnnx(TensorCtor: TensorClass, s: PipelineSessions, spacingMm: number, volume: ImageVolume,
  o: { onBatch?: (from: number, to: number, labels: Uint8Array) => void; signal?: AbortSignal; batchSize?: number } = {}): Promise<Uint8Array> {
  const [nx, ny = 1, nz = 1] = volume.dims;
  if (volume.dims.slice(3).some((d) => d > 1)) throw new Error(`expected one 3D frame, got ${volume.dims.join("x")}`);
  const g = sliceGeometry(nx, ny, [volume.spacing[0], volume.spacing[1]], { targetSpacing: spacingMm, multipleOf: NETWORK_MULTIPLE });
  const pf = preprocessFeeds(g), qf = postprocessFeeds(g);
  const geometry = {
    pre: {
      [PRE.srcStep]: new TensorCtor("float32", pf.src_step, [2]),
      [PRE.resampledSize]: new TensorCtor("int64", pf.resampled_size, [2]),
      [PRE.pads]: new TensorCtor("int64", pf.pads, [8]),
    },
    post: {
      [POST.cropStarts]: new TensorCtor("int64", qf.crop_starts, [2]),
      [POST.cropEnds]: new TensorCtor("int64", qf.crop_ends, [2]),
      [POST.dstStep]: new TensorCtor("float32", qf.dst_step, [2]),
      [POST.outSize]: new TensorCtor("int64", qf.out_size, [2]),
    },
  };
  const plane = nx * ny;
  const labels = new Uint8Array(plane * nz);
  for (const [from, to] of batchRanges(nz, o.batchSize ?? autoBatchSize(g.outWidth, g.outHeight))) {
    o.signal?.throwIfAborted();
    const raw = new TensorCtor("float32", float32(volume.data.subarray(from * plane, to * plane)), [to - from, 1, ny, nx]);
    const pre = await s.pre.run({ [PRE.raw]: raw, ...geometry.pre });
    if ((pre[PRE.nonfinite].data as Float32Array)[0] > 0) throw new Error("image contains NaN or infinite values");
    const net = await s.net.run({ [INPUT_NAME]: pre[PRE.image] });
    const post = await s.post.run({ [POST.logits]: net[OUTPUT_NAME], ...geometry.post });
    labels.set(post[POST.labels].data as Uint8Array, from * plane);
    for (const t of [raw, pre[PRE.image], pre[PRE.nonfinite], net[OUTPUT_NAME], post[POST.labels]]) t.dispose();
    o.onBatch?.(from, to, labels.subarray(from * plane, to * plane));
  }
  return labels;
}
