// Creating tensors: from JS numbers and typed arrays, constant fills, ranges, random draws, and
// joins (cat, stack, where). Defaults follow PyTorch except where JS cannot tell ints from floats:
// plain JS numbers give float32 unless a dtype is passed.
import { N } from "./native.js";
import { Tensor, type Operand } from "./tensor.js";
import { Generator } from "./generator.js";
import {
  DTYPE_CODE, checkDevice, dtypeOfArray, type DType, type DeviceLike, type TensorOptions, type TypedArray,
} from "./dtype.js";

export type NestedArray = number | boolean | NestedArray[];
export interface RandomOptions extends TensorOptions { generator?: Generator }

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function code(opts: TensorOptions | undefined, fallback: DType = "float32"): number {
  return DTYPE_CODE[opts?.dtype ?? fallback];
}

function dev(opts: TensorOptions | undefined): DeviceLike | null {
  return opts?.device === undefined ? null : checkDevice(opts.device);
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new Error(`invalid shape [${shape.join(", ")}]: sizes must be non-negative integers`);
    n *= s;
  }
  return n;
}

/** Shape of a nested JS array, checking it is rectangular. */
function nestedShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenInto(data: NestedArray, shape: number[], d: number, out: number[]): void {
  if (d === shape.length) {
    if (Array.isArray(data)) throw new Error("tensor: ragged nested array (deeper than the first element)");
    out.push(typeof data === "boolean" ? (data ? 1 : 0) : data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[d]) {
    throw new Error(`tensor: ragged nested array (expected length ${shape[d]} at depth ${d})`);
  }
  for (const v of data) flattenInto(v, shape, d + 1, out);
}

function firstLeaf(data: NestedArray): number | boolean | undefined {
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    if (cur.length === 0) return undefined;
    cur = cur[0];
  }
  return cur;
}

export interface FromArrayOptions extends TensorOptions {
  /**
   * Share the array's memory instead of copying (PyTorch's from_numpy): writes on either side show
   * on the other. Only honoured when no dtype/device conversion is needed and the buffer is not
   * resizable; otherwise the data is copied. Do not reuse the array for other data while the tensor
   * (or any view of it) lives.
   */
  share?: boolean;
}

function isResizable(buf: ArrayBufferLike): boolean {
  return (buf as { resizable?: boolean; growable?: boolean }).resizable === true
    || (buf as { growable?: boolean }).growable === true;
}

/** A tensor of the typed array's own dtype holding (a copy of, or with `share` the) elements. */
export function fromTypedArray(data: TypedArray, shape?: readonly number[], opts?: FromArrayOptions): Tensor {
  const own = dtypeOfArray(data);
  const s = shape ? [...shape] : [data.length];
  if (numelOf(s) !== data.length) {
    throw new Error(`fromTypedArray: shape [${s.join(", ")}] holds ${numelOf(s)} elements but the array has ${data.length}`);
  }
  const device = dev(opts);
  const sameDtype = opts?.dtype === undefined || opts.dtype === own;
  if (opts?.share && sameDtype && (device === null || device === "cpu") && !isResizable(data.buffer)) {
    return finish(new Tensor(N.fromBufferShared(data, DTYPE_CODE[own], s)), opts);
  }
  let t = new Tensor(N.fromBuffer(data, DTYPE_CODE[own], s, device));
  if (!sameDtype && opts?.dtype !== undefined) {
    const converted = t.to(opts.dtype);
    t.dispose();
    t = converted;
  }
  return finish(t, opts);
}

/** A tensor from raw little-endian element bytes of `dtype` (e.g. float16 or bfloat16 bits). */
export function fromBytes(bytes: Uint8Array, dtype: DType, shape: readonly number[], opts?: Omit<TensorOptions, "dtype">): Tensor {
  return finish(new Tensor(N.fromBuffer(bytes, DTYPE_CODE[dtype], [...shape], dev(opts))), opts);
}

/**
 * A tensor holding a copy of `data`: a number, a (nested) array of numbers/booleans or a typed
 * array. Numbers default to float32, booleans to bool, typed arrays to their own dtype.
 */
export function tensor(data: NestedArray | TypedArray, opts?: TensorOptions & { shape?: number[] }): Tensor {
  if (ArrayBuffer.isView(data)) return fromTypedArray(data, opts?.shape ?? [data.length], opts);
  const shape = nestedShape(data);
  const flat: number[] = [];
  flattenInto(data, shape, 0, flat);
  const isBool = typeof firstLeaf(data) === "boolean";
  const dtype = opts?.dtype ?? (isBool ? "bool" : "float32");
  const targetShape = opts?.shape ?? shape;
  if (dtype === "int64" || dtype === "float64") {
    const t = fromTypedArray(new Float64Array(flat), targetShape, { ...opts, dtype });
    return t;
  }
  if (dtype === "bool" || dtype === "uint8") {
    return fromTypedArray(new Uint8Array(flat), targetShape, { ...opts, dtype });
  }
  const f = dtype === "int32" || dtype === "int16" || dtype === "int8" ? new Int32Array(flat) : new Float32Array(flat);
  return fromTypedArray(f, targetShape, { ...opts, dtype });
}

export function zeros(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(N.zeros(shape, code(opts), dev(opts))), opts);
}
export function ones(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(N.ones(shape, code(opts), dev(opts))), opts);
}
/** Uninitialised memory (contents are arbitrary). */
export function empty(shape: number[], opts?: TensorOptions): Tensor {
  return finish(new Tensor(N.empty(shape, code(opts), dev(opts))), opts);
}
export function full(shape: number[], value: number, opts?: TensorOptions): Tensor {
  return finish(new Tensor(N.full(shape, value, code(opts), dev(opts))), opts);
}
export function zerosLike(t: Tensor): Tensor { return new Tensor(N.zerosLike(t._h)); }
export function onesLike(t: Tensor): Tensor { return new Tensor(N.onesLike(t._h)); }
export function emptyLike(t: Tensor): Tensor { return new Tensor(N.emptyLike(t._h)); }
export function fullLike(t: Tensor, value: number): Tensor { return new Tensor(N.fullLike(t._h, value)); }

/**
 * arange(end) or arange(start, end, step?, opts?). As in PyTorch, integer arguments give int64
 * (handy for indices) and any fractional one gives float32, unless opts.dtype says otherwise.
 */
export function arange(end: number, opts?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, opts?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number | TensorOptions, d?: TensorOptions): Tensor {
  let start = 0, end = a, step = 1;
  let opts: TensorOptions | undefined;
  if (typeof b === "number") {
    start = a;
    end = b;
    if (typeof c === "number") step = c;
    opts = typeof c === "object" ? c : d;
  } else {
    opts = b;
  }
  const integral = [start, end, step].every(Number.isInteger);
  return finish(new Tensor(N.arange(start, end, step, code(opts, integral ? "int64" : "float32"), dev(opts))), opts);
}
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  return finish(new Tensor(N.linspace(start, end, steps, code(opts), dev(opts))), opts);
}
export function eye(n: number, m: number = n, opts?: TensorOptions): Tensor {
  return finish(new Tensor(N.eye(n, m, code(opts), dev(opts))), opts);
}

// ---- random ----

export function randn(shape: number[], opts?: RandomOptions): Tensor {
  return finish(new Tensor(N.randn(shape, code(opts), dev(opts), opts?.generator?._g)), opts);
}
/** Uniform on [0, 1). */
export function rand(shape: number[], opts?: RandomOptions): Tensor {
  return finish(new Tensor(N.rand(shape, code(opts), dev(opts), opts?.generator?._g)), opts);
}
/** Integers uniform on [low, high); int64 unless opts.dtype says otherwise. */
export function randint(low: number, high: number, shape: number[], opts?: RandomOptions): Tensor {
  return new Tensor(N.randint(low, high, shape, code(opts, "int64"), dev(opts), opts?.generator?._g));
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts?: RandomOptions): Tensor {
  return new Tensor(N.randperm(n, code(opts, "int64"), dev(opts), opts?.generator?._g));
}
/** Draws `n` category indices per row of `probs` (non-negative weights). */
export function multinomial(probs: Tensor, n: number, replacement = false, generator?: Generator): Tensor {
  return new Tensor(N.multinomial(probs._h, n, replacement, generator?._g));
}

// ---- joins & selection ----

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(N.cat(tensors.map((t) => t._h), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(N.stack(tensors.map((t) => t._h), dim));
}
/** Element-wise `cond ? a : b` with broadcasting; b may be a number. */
export function where(cond: Tensor, a: Tensor, b: Operand): Tensor {
  return a.where(cond, b);
}
