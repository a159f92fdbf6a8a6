// onnx.ts owns OnnxGraph, the symbolic graph that modules write their ONNX nodes into. Each layer
// knows its own nodes (`toOnnx`) the way it knows its state-dict names: weights become initializers
// named by their state-dict keys (backbone.layer1.0.conv1.weight) and nodes are named after the module
// path (/backbone/layer1/0/conv1/Conv), as PyTorch's exporter names them. Values are plain strings
// (the ONNX value names). This file holds no protobuf: src/onnx serialises the graph to a ModelProto.
import type { Tensor } from "../tensor/index.js";
import type { Module } from "./module.js";

/** A typed ONNX attribute value (ONNX distinguishes INT from FLOAT, so numbers carry their kind). */
export type OnnxAttr =
  | { kind: "int"; value: number }
  | { kind: "ints"; value: readonly number[] }
  | { kind: "float"; value: number }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "string"; value: string };

export const attr = {
  int: (value: number): OnnxAttr => ({ kind: "int", value }),
  ints: (value: readonly number[]): OnnxAttr => ({ kind: "ints", value }),
  float: (value: number): OnnxAttr => ({ kind: "float", value }),
  floats: (value: readonly number[]): OnnxAttr => ({ kind: "floats", value }),
  string: (value: string): OnnxAttr => ({ kind: "string", value }),
};

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttr>>;
}

/** A constant of the graph: weights (float32), shape/index constants (int64) or float64 constants. */
export type OnnxInitializer =
  | { readonly name: string; readonly dims: readonly number[]; readonly dtype: "float32"; readonly data: Float32Array }
  | { readonly name: string; readonly dims: readonly number[]; readonly dtype: "float64"; readonly data: Float64Array }
  | { readonly name: string; readonly dims: readonly number[]; readonly dtype: "int64"; readonly data: BigInt64Array };

/** Raised when a module (or one of its settings) has no ONNX form; the message names the module. */
export class OnnxExportError extends Error {}

export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly #paths = new Map<Module, string>();
  readonly #usedNames = new Set<string>();
  readonly #constants = new Map<string, string>();

  /**
   * `root`'s module tree names the nodes and initializers (its own path is ""). Without a root the
   * graph holds only nodes owned by no module (the pre/postprocessing graphs of src/onnx/pipeline.ts).
   */
  constructor(root?: Module) {
    if (root) for (const [path, m] of root.namedModules()) this.#paths.set(m, path);
  }

  /** The dotted module path of `m` in the exported tree (e.g. "backbone.layer1.0"). */
  pathOf(m: Module): string {
    const p = this.#paths.get(m);
    if (p === undefined) throw new OnnxExportError(`${m.constructor.name} is not part of the exported module tree`);
    return p;
  }

  /** Weights `tensor` of module `m` as an initializer named by its state-dict key; returns the name. */
  param(m: Module, key: string, tensor: Tensor): string {
    const path = this.pathOf(m);
    return this.addFloat(path ? `${path}.${key}` : key, tensor.shape, tensor.toFloat32Array());
  }

  /** A float32 initializer computed at export time (folded or reshaped weights); the name is made unique. */
  addFloat(name: string, dims: readonly number[], data: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [...dims], dtype: "float32", data });
    return unique;
  }

  /** An int64 constant (shapes, slice bounds), shared between all nodes that use the same values. */
  int64(values: readonly number[]): string {
    const key = values.join(",");
    const known = this.#constants.get(key);
    if (known) return known;
    const name = this.unique(`const_i64_${values.map((v) => String(v).replace("-", "m")).join("_") || "empty"}`);
    this.initializers.push({ name, dims: [values.length], dtype: "int64", data: BigInt64Array.from(values.map(BigInt)) });
    this.#constants.set(key, name);
    return name;
  }

  /** A 0-D int64 constant (an index for Gather, a bound for Range). */
  int64Scalar(value: number): string {
    const key = `i64 scalar:${value}`;
    const known = this.#constants.get(key);
    if (known) return known;
    const name = this.unique(`const_i64_scalar_${String(value).replace("-", "m")}`);
    this.initializers.push({ name, dims: [], dtype: "int64", data: BigInt64Array.of(BigInt(value)) });
    this.#constants.set(key, name);
    return name;
  }

  /** A float32 or float64 constant of `dims` (scalars: []), shared between nodes that use the same values. */
  constant(dtype: "float32" | "float64", values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${dtype}:${dims.join("x")}:${values.join(",")}`;
    const known = this.#constants.get(key);
    if (known) return known;
    const name = this.unique(`const_${dtype === "float32" ? "f32" : "f64"}_${this.#constants.size}`);
    this.initializers.push(dtype === "float32"
      ? { name, dims: [...dims], dtype, data: Float32Array.from(values) }
      : { name, dims: [...dims], dtype, data: Float64Array.from(values) });
    this.#constants.set(key, name);
    return name;
  }

  /** A node with several outputs (TopK: values and indices); returns their names in order. */
  opOutputs(owner: Module | null, opType: string, inputs: readonly string[], outputs: number,
    attributes: Record<string, OnnxAttr> = {}): string[] {
    const base = owner ? this.pathOf(owner) : "";
    const name = this.unique(`/${base ? `${base.replaceAll(".", "/")}/` : ""}${opType}`);
    const names = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({ opType, name, inputs: [...inputs], outputs: names, attributes });
    return names;
  }

  /**
   * Add one node for module `owner` (its path names the node) and return its single output. `inputs`
   * may contain "" for an omitted optional input, as ONNX allows.
   */
  op(owner: Module | null, opType: string, inputs: readonly string[], attributes: Record<string, OnnxAttr> = {}): string {
    const base = owner ? this.pathOf(owner) : "";
    const name = this.unique(`/${base ? `${base.replaceAll(".", "/")}/` : ""}${opType}`);
    const output = `${name}_output_0`;
    this.nodes.push({ opType, name, inputs: [...inputs], outputs: [output], attributes });
    return output;
  }

  /** Make `x` available under the graph output name `name` (an Identity node, which runtimes remove). */
  output(x: string, name: string): string {
    const nodeName = this.unique(`/${name}/Identity`);
    this.nodes.push({ opType: "Identity", name: nodeName, inputs: [x], outputs: [name], attributes: {} });
    return name;
  }

  /** Bilinear resize of `x` (NCHW) to the spatial size of `like`, as F.interpolate(align_corners=False). */
  resizeBilinearLike(owner: Module | null, x: string, like: string): string {
    const xShape = this.op(owner, "Shape", [x]);
    const likeShape = this.op(owner, "Shape", [like]);
    const nc = this.op(owner, "Slice", [xShape, this.int64([0]), this.int64([2])]);
    const hw = this.op(owner, "Slice", [likeShape, this.int64([2]), this.int64([4])]);
    const sizes = this.op(owner, "Concat", [nc, hw], { axis: attr.int(0) });
    // pytorch_half_pixel is half_pixel except for an output length of 1, exactly as ATen computes it.
    return this.op(owner, "Resize", [x, "", "", sizes], {
      mode: attr.string("linear"),
      coordinate_transformation_mode: attr.string("pytorch_half_pixel"),
    });
  }

  private unique(name: string): string {
    let out = name;
    for (let i = 1; this.#usedNames.has(out); i++) out = `${name}_${i}`;
    this.#usedNames.add(out);
    return out;
  }
}

/** A module that maps one value to one value in ONNX (every Layer that can be exported). */
export interface OnnxLayer {
  toOnnx(g: OnnxGraph, x: string): string;
}

/** The ONNX form of one layer, or an error naming the module that has none. */
export function layerToOnnx(g: OnnxGraph, layer: Module, x: string): string {
  const candidate = layer as Partial<OnnxLayer>;
  if (typeof candidate.toOnnx !== "function") {
    const path = g.pathOf(layer);
    throw new OnnxExportError(`${layer.constructor.name}${path ? ` (${path})` : ""} has no ONNX export`);
  }
  return candidate.toOnnx(g, x);
}
