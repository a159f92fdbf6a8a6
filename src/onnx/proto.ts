// proto.ts owns the ONNX file format: an OnnxGraph (src/nn/onnx.ts) plus its inputs, outputs, opset and
// metadata serialised as an ONNX ModelProto with onnx-buf (ONNX's own onnx.proto compiled for
// @bufbuild/protobuf), and read back for inspection. No protobuf is written by hand here.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  ModelProtoSchema,
  TensorProto_DataType,
  type AttributeProtoSchema,
  type ModelProto,
  type TensorProtoSchema,
  type ValueInfoProtoSchema,
} from "onnx-buf";
import type { OnnxAttr, OnnxGraph, OnnxInitializer } from "../nn/index.js";

/** The opsets the exporter writes (every op it uses has the same meaning across them). */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;
export const DEFAULT_OPSET = 17;

// The IR version each opset shipped with (ONNX's versioning table): the lowest a reader must support.
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/** A dimension: a fixed size or a named symbolic one ("batch", "height"). */
export type Dim = number | string;

/** Element types of graph inputs and outputs (the networks take and give float32). */
export type ElemType = "float32" | "float64" | "int64" | "uint8";

export interface ValueSpec {
  name: string;
  shape: readonly Dim[];
  /** Default float32. */
  elemType?: ElemType;
}

const ELEM_TYPE: Record<ElemType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT, float64: TensorProto_DataType.DOUBLE,
  int64: TensorProto_DataType.INT64, uint8: TensorProto_DataType.UINT8,
};

export interface ModelSpec {
  graph: OnnxGraph;
  graphName: string;
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  opset: number;
  producerVersion: string;
  docString: string;
  metadata: Readonly<Record<string, string>>;
}

export function checkOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`--opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
  }
}

/** The ModelProto bytes of `spec`. */
export function serializeModel(spec: ModelSpec): Uint8Array {
  checkOpset(spec.opset);
  const { graph } = spec;
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION[spec.opset]),
    opsetImport: [{ domain: "", version: BigInt(spec.opset) }],
    producerName: "cardioseg",
    producerVersion: spec.producerVersion,
    docString: spec.docString,
    metadataProps: Object.entries(spec.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName,
      node: graph.nodes.map((n) => ({
        name: n.name, opType: n.opType, domain: "", input: [...n.inputs], output: [...n.outputs],
        attribute: Object.entries(n.attributes).map(([name, a]) => attributeProto(name, a)),
      })),
      initializer: graph.initializers.map(tensorProto),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return toBinary(ModelProtoSchema, model);
}

/** Parse ONNX bytes (for metadata and tests); throws naming `source` when they are not a model. */
export function parseModel(bytes: Uint8Array, source: string): ModelProto {
  try {
    return fromBinary(ModelProtoSchema, bytes);
  } catch (err) {
    throw new Error(`${source}: not an ONNX model (${(err as Error).message})`);
  }
}

/** The metadata_props of a model as a plain record. */
export function modelMetadata(model: ModelProto): Record<string, string> {
  return Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
}

function attributeProto(name: string, a: OnnxAttr): MessageInitShape<typeof AttributeProtoSchema> {
  const T = AttributeProto_AttributeType;
  switch (a.kind) {
    case "int": return { name, type: T.INT, i: BigInt(a.value) };
    case "ints": return { name, type: T.INTS, ints: a.value.map(BigInt) };
    case "float": return { name, type: T.FLOAT, f: a.value };
    case "floats": return { name, type: T.FLOATS, floats: [...a.value] };
    case "string": return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function tensorProto(t: OnnxInitializer): MessageInitShape<typeof TensorProtoSchema> {
  // raw_data is little-endian by the spec, as are typed arrays on every platform Node runs on.
  const raw = new Uint8Array(t.data.byteLength);
  raw.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const dataType = ELEM_TYPE[t.dtype];
  return { name: t.name, dims: t.dims.map(BigInt), dataType, rawData: raw };
}

function valueInfo(v: ValueSpec): MessageInitShape<typeof ValueInfoProtoSchema> {
  return {
    name: v.name,
    type: {
      value: {
        case: "tensorType",
        value: {
          elemType: ELEM_TYPE[v.elemType ?? "float32"],
          shape: {
            dim: v.shape.map((d) => ({
              value: typeof d === "number" ? { case: "dimValue" as const, value: BigInt(d) } : { case: "dimParam" as const, value: d },
            })),
          },
        },
      },
    },
  };
}
