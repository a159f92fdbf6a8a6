// Data types and devices: the public names, their libtorch ScalarType codes, element sizes and
// the typed arrays that hold each dtype on the JS side.

export type DType = "float32" | "float16" | "bfloat16" | "float64" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";
export type DeviceLike = "cpu" | "cuda" | `cuda:${number}`;

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceLike;
  requiresGrad?: boolean;
}

/** c10::ScalarType enum values (stable across libtorch releases). */
export const DTYPE_CODE: Readonly<Record<DType, number>> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};

const CODE_TO_DTYPE = new Map<number, DType>(Object.entries(DTYPE_CODE).map(([k, v]) => [v, k as DType]));

export function dtypeFromCode(code: number): DType {
  const d = CODE_TO_DTYPE.get(code);
  if (d === undefined) throw new Error(`cardioseg: tensor has an unsupported libtorch dtype (ScalarType ${code})`);
  return d;
}

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_CODE, s);
}

export function isFloatingDType(d: DType): boolean {
  return d === "float32" || d === "float16" || d === "bfloat16" || d === "float64";
}

export const ELEMENT_SIZE: Readonly<Record<DType, number>> = {
  uint8: 1, int8: 1, int16: 2, int32: 4, int64: 8, float16: 2, float32: 4, float64: 8, bool: 1, bfloat16: 2,
};

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

/** The typed array toArray() returns per dtype (float16/bfloat16 are widened to Float32Array). */
export type ArrayFor<D extends DType> = D extends "float64" ? Float64Array
  : D extends "int64" ? BigInt64Array
  : D extends "int32" ? Int32Array
  : D extends "int16" ? Int16Array
  : D extends "int8" ? Int8Array
  : D extends "uint8" | "bool" ? Uint8Array
  : Float32Array;

/** The dtype a typed array's elements have. */
export function dtypeOfArray(a: TypedArray | Uint8ClampedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return "uint8";
  throw new Error(`cardioseg: no tensor dtype for ${a.constructor.name} (use Float32Array, Float64Array, Int32Array, BigInt64Array, Int16Array, Int8Array or Uint8Array)`);
}

/** Views raw element bytes (a fresh, aligned ArrayBuffer) as the typed array for `dtype`. */
export function viewAs(buffer: ArrayBuffer, dtype: DType): TypedArray {
  switch (dtype) {
    case "float32": return new Float32Array(buffer);
    case "float64": return new Float64Array(buffer);
    case "int64": return new BigInt64Array(buffer);
    case "int32": return new Int32Array(buffer);
    case "int16": return new Int16Array(buffer);
    case "int8": return new Int8Array(buffer);
    case "uint8": case "bool": return new Uint8Array(buffer);
    case "float16": case "bfloat16": return new Uint16Array(buffer);
  }
}

export function checkDevice(d: string): DeviceLike {
  if (d === "cpu" || d === "cuda" || /^cuda:\d+$/.test(d)) return d as DeviceLike;
  throw new Error(`unknown device '${d}' (expected 'cpu', 'cuda' or 'cuda:N')`);
}
