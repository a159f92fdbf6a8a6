// pipeline.ts owns the volume predictor's pre- and postprocessing as two small ONNX graphs, built
// with our graph builder (src/nn/onnx.ts), so that a host with only an ONNX runtime (the page's
// in-browser engine on onnxruntime-web) runs exactly what src/data/preprocess-tensor.ts runs on
// libtorch, with no per-pixel JavaScript:
// - preprocess: raw slices [B, 1, H, W] -> the network input [B, 1, outH, outW]: per-slice linear
//   percentiles (TopK of the nearer tail, numpy's interpolation in float64), mean and population
//   std of the clipped pixels (float64), bilinear resampling to the model's spacing, clip, z-score,
//   and padding with the normalised low clip; plus the count of non-finite pixels (the libtorch
//   path refuses such images).
// - postprocess: logits -> softmax -> the padding removed -> probabilities resampled back to the
//   slice grid -> argmax as uint8 labels [B, H, W].
// Bilinear resampling is two matrix products with interpolation matrices built inside the graph
// from the geometry inputs (pipeline-feeds.ts), with ATen's coordinates (float64 source index,
// truncated, float32 weights, the upper neighbour clamped): ONNX Resize takes either sizes or
// scales, while ATen uses a size *and* an explicit scale, so Resize cannot match it. Width is
// interpolated first, then height, ATen's order.
import { OnnxGraph, attr } from "../nn/index.js";
import { DEFAULT_HIGH_PERCENTILE, DEFAULT_LOW_PERCENTILE, MIN_STD } from "../data/normalize.js";
import { packageVersion } from "../util/project.js";
import { serializeModel } from "./proto.js";
import { POST, PRE } from "./pipeline-feeds.js";

/** The pipeline graphs' opset (fixed: they do not depend on how the network was exported). */
export const PIPELINE_OPSET = 17;
/** metadata cardioseg.format of the pipeline graphs. */
export const PIPELINE_FORMAT = "cardioseg-pipeline-1";

export interface PreprocessGraphOptions {
  lowPercentile?: number;
  highPercentile?: number;
}

/** A graph-building helper: nodes owned by no module, constants by value. */
class Builder {
  readonly g = new OnnxGraph();
  op(type: string, inputs: readonly string[], attributes: Parameters<OnnxGraph["op"]>[3] = {}): string {
    return this.g.op(null, type, inputs, attributes);
  }
  f32(v: number): string {
    return this.g.constant("float32", [v], []);
  }
  f64(v: number): string {
    return this.g.constant("float64", [v], []);
  }
  i64(values: readonly number[]): string {
    return this.g.int64(values);
  }
  toF64(x: string): string {
    return this.op("Cast", [x], { to: attr.int(11) });
  }
  toF32(x: string): string {
    return this.op("Cast", [x], { to: attr.int(1) });
  }
  toI64(x: string): string {
    return this.op("Cast", [x], { to: attr.int(7) });
  }
  /** Element `i` (0-D tensor) of a 1-D tensor. */
  item(x: string, i: number): string {
    return this.op("Gather", [x, this.g.int64Scalar(i)], { axis: attr.int(0) });
  }
}

/**
 * The [nOut, nIn] float32 matrix of bilinear interpolation along one axis (ATen's
 * compute_source_index_and_lambda): row u has weight lambda0 at floor(s) and lambda1 at the next
 * pixel (clamped), s = max(0, step * (u + 0.5) - 0.5) in float64. `nIn`, `nOut` are int64 0-D, `step` float32 0-D.
 */
function interpolationMatrix(b: Builder, nIn: string, nOut: string, step: string): string {
  const u = b.op("Range", [b.f64(0), b.toF64(nOut), b.f64(1)]);
  const s = b.op("Max", [b.op("Sub", [b.op("Mul", [b.op("Add", [u, b.f64(0.5)]), b.toF64(step)]), b.f64(0.5)]), b.f64(0)]);
  const i0 = b.op("Floor", [s]);
  const lambda1 = b.toF32(b.op("Sub", [s, i0]));
  const lambda0 = b.op("Sub", [b.f32(1), lambda1]);
  const last = b.op("Sub", [b.toF64(nIn), b.f64(1)]);
  const i1 = b.op("Min", [b.op("Add", [i0, b.f64(1)]), last]);
  const columns = b.op("Unsqueeze", [b.op("Range", [b.g.int64Scalar(0), nIn, b.g.int64Scalar(1)]), b.i64([0])]);
  const weight = (index: string, lambda: string): string => b.op("Mul", [
    b.toF32(b.op("Equal", [b.op("Unsqueeze", [b.toI64(index), b.i64([1])]), columns])),
    b.op("Unsqueeze", [lambda, b.i64([1])]),
  ]);
  return b.op("Add", [weight(i0, lambda0), weight(i1, lambda1)]);
}

/** `x` [..., H, W] resampled to [..., outH, outW] (width first, then height, as ATen sums). */
function resampleBilinear(b: Builder, x: string, outH: string, outW: string, stepY: string, stepX: string): string {
  const shape = b.op("Shape", [x]);
  const inH = b.item(shape, 2), inW = b.item(shape, 3);
  const wx = interpolationMatrix(b, inW, outW, stepX);
  const alongX = b.op("MatMul", [x, b.op("Transpose", [wx], { perm: attr.ints([1, 0]) })]);
  return b.op("MatMul", [interpolationMatrix(b, inH, outH, stepY), alongX]);
}

/**
 * util/stats.ts's percentile of each row of `flat` [B, n] (float32) as float64 [B, 1], from the
 * order statistics of a TopK over the nearer tail (preprocess-tensor.ts's percentile).
 */
function percentile(b: Builder, flat: string, n: string, q: number): string {
  const last = b.op("Sub", [n, b.f64(1)]);
  const pos = b.op("Mul", [b.f64(Math.min(100, Math.max(0, q)) / 100), last]);
  const i = b.op("Floor", [pos]);
  const t = b.op("Sub", [pos, i]);
  const j = b.op("Min", [b.op("Add", [i, b.f64(1)]), last]);
  const low = q < 50;
  // Low tail: the j + 1 smallest ascending, columns i and j. High tail: the n - i largest descending,
  // columns n-1-i and n-1-j.
  const k = low ? b.op("Add", [j, b.f64(1)]) : b.op("Sub", [n, i]);
  const [values] = b.g.opOutputs(null, "TopK", [flat, b.op("Reshape", [b.toI64(k), b.i64([1])])], 2, {
    axis: attr.int(1), largest: attr.int(low ? 0 : 1), sorted: attr.int(1),
  });
  const column = (c: string): string => b.toF64(b.op("Gather", [values, b.op("Reshape", [b.toI64(c), b.i64([1])])], { axis: attr.int(1) }));
  const a = column(low ? i : b.op("Sub", [last, i])), bb = column(low ? j : b.op("Sub", [last, j]));
  // NumPy's _lerp, from the nearer end.
  const diff = b.op("Sub", [bb, a]);
  const fromA = b.op("Add", [a, b.op("Mul", [diff, t])]);
  const fromB = b.op("Sub", [bb, b.op("Mul", [diff, b.op("Sub", [b.f64(1), t])])]);
  return b.op("Where", [b.op("GreaterOrEqual", [t, b.f64(0.5)]), fromB, fromA]);
}

/** The preprocessing graph (see the header); inputs and outputs are named by PRE. */
export function preprocessGraph(o: PreprocessGraphOptions = {}): Uint8Array {
  const b = new Builder();
  const raw = PRE.raw;
  const nonfinite = b.op("ReduceSum", [b.toF32(b.op("Or", [b.op("IsNaN", [raw]), b.op("IsInf", [raw])]))], { keepdims: attr.int(0) });
  b.g.output(nonfinite, PRE.nonfinite);
  // Statistics on the original pixels of each slice.
  const flat = b.op("Reshape", [raw, b.i64([0, -1])]);
  const n = b.toF64(b.item(b.op("Shape", [flat]), 1));
  const lo = percentile(b, flat, n, o.lowPercentile ?? DEFAULT_LOW_PERCENTILE);
  const hi = b.op("Max", [percentile(b, flat, n, o.highPercentile ?? DEFAULT_HIGH_PERCENTILE), lo]);
  const clipped = b.op("Min", [b.op("Max", [b.toF64(flat), lo]), hi]);
  const mean = b.op("ReduceMean", [clipped], { axes: attr.ints([1]), keepdims: attr.int(1) });
  const centred = b.op("Sub", [clipped, mean]);
  const spread = b.op("Sqrt", [b.op("ReduceMean", [b.op("Mul", [centred, centred])], { axes: attr.ints([1]), keepdims: attr.int(1) })]);
  const std = b.op("Where", [b.op("GreaterOrEqual", [spread, b.f64(MIN_STD)]), spread, b.f64(1)]);
  const perSlice = (x: string): string => b.op("Reshape", [x, b.i64([-1, 1, 1, 1])]);
  // Resampled in float32, then clipped and normalised with the statistics rounded to float32.
  const size = PRE.resampledSize, step = PRE.srcStep;
  const resampled = resampleBilinear(b, raw, b.item(size, 0), b.item(size, 1), b.item(step, 0), b.item(step, 1));
  const [loF, hiF, meanF, stdF] = [lo, hi, mean, std].map((x) => perSlice(b.toF32(x)));
  const normalised = b.op("Div", [b.op("Sub", [b.op("Min", [b.op("Max", [resampled, loF]), hiF]), meanF]), stdF]);
  // Padding is "air": the normalised low clip, computed in float64.
  const air = perSlice(b.toF32(b.op("Div", [b.op("Sub", [lo, mean]), std])));
  const padded = b.op("Pad", [normalised, PRE.pads, b.f32(0)]);
  const window = b.op("Expand", [b.g.constant("float32", [1], [1, 1, 1, 1]), b.op("Concat", [b.i64([1, 1]), size], { axis: attr.int(0) })]);
  const inside = b.op("Greater", [b.op("Pad", [window, PRE.pads, b.f32(0)]), b.f32(0.5)]);
  b.g.output(b.op("Where", [inside, padded, air]), PRE.image);
  return serializePipeline(b, "cardioseg_preprocess", "preprocess", [
    { name: PRE.raw, shape: ["batch", 1, "height", "width"] },
    { name: PRE.srcStep, shape: [2] },
    { name: PRE.resampledSize, shape: [2], elemType: "int64" },
    { name: PRE.pads, shape: [8], elemType: "int64" },
  ], [
    { name: PRE.image, shape: ["batch", 1, "net_height", "net_width"] },
    { name: PRE.nonfinite, shape: [] },
  ]);
}

/** The postprocessing graph for `numClasses` output channels; inputs and outputs are named by POST. */
export function postprocessGraph(numClasses: number): Uint8Array {
  const b = new Builder();
  const probs = b.op("Softmax", [POST.logits], { axis: attr.int(1) });
  const cropped = b.op("Slice", [probs, POST.cropStarts, POST.cropEnds, b.i64([2, 3])]);
  const size = POST.outSize, step = POST.dstStep;
  const back = resampleBilinear(b, cropped, b.item(size, 0), b.item(size, 1), b.item(step, 0), b.item(step, 1));
  // ArgMax takes the first of tied maxima, as max(1).indices on libtorch.
  const labels = b.op("Cast", [b.op("ArgMax", [back], { axis: attr.int(1), keepdims: attr.int(0) })], { to: attr.int(2) });
  b.g.output(labels, POST.labels);
  return serializePipeline(b, "cardioseg_postprocess", "postprocess", [
    { name: POST.logits, shape: ["batch", numClasses, "net_height", "net_width"] },
    { name: POST.cropStarts, shape: [2], elemType: "int64" },
    { name: POST.cropEnds, shape: [2], elemType: "int64" },
    { name: POST.dstStep, shape: [2] },
    { name: POST.outSize, shape: [2], elemType: "int64" },
  ], [{ name: POST.labels, shape: ["batch", "height", "width"], elemType: "uint8" }]);
}

function serializePipeline(b: Builder, graphName: string, role: string,
  inputs: Parameters<typeof serializeModel>[0]["inputs"], outputs: Parameters<typeof serializeModel>[0]["outputs"]): Uint8Array {
  return serializeModel({
    graph: b.g, graphName, inputs, outputs, opset: PIPELINE_OPSET, producerVersion: packageVersion(),
    docString: `cardioseg ${role}: the volume predictor's ${role}ing of 2D slices (src/onnx/pipeline.ts)`,
    metadata: { "cardioseg.format": PIPELINE_FORMAT, "cardioseg.role": role },
  });
}
