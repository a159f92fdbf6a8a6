// The Tensor class: a JS handle on one libtorch tensor. Every method is one direct call into the
// addon; shape/dtype/device are fetched once and cached. Methods follow PyTorch's names in
// camelCase; in-place ops keep PyTorch's trailing underscore and return `this`.
import { N, type NativeHandle } from "./native.js";
import { kScoped, track } from "./scope.js";
import {
  DTYPE_CODE, ELEMENT_SIZE, checkDevice, dtypeFromCode, isDType, isFloatingDType, viewAs,
  type ArrayFor, type DType, type DeviceLike, type TypedArray,
} from "./dtype.js";
import type { Generator } from "./generator.js";
import { formatTensor } from "./format.js";

export type Operand = Tensor | number;
export type MemoryFormat = "contiguous" | "channelsLast" | "preserve";
export const MEMORY_FORMAT_CODE: Readonly<Record<MemoryFormat, number>> = { contiguous: 0, channelsLast: 1, preserve: 2 };

export interface ToOptions { dtype?: DType; device?: DeviceLike; copy?: boolean }
export interface ValuesIndices { values: Tensor; indices: Tensor }

function dimsArg(dim: number | number[] | undefined | null): number[] | null {
  if (dim === undefined || dim === null) return null;
  return typeof dim === "number" ? [dim] : dim;
}

export class Tensor {
  /** @internal The native handle; null once disposed. */
  _h: NativeHandle | null;
  /** @internal Exempt from tidy scopes. */
  _kept = false;
  private _shape: number[] | undefined = undefined;
  private _dtype: DType | undefined = undefined;
  private _device: DeviceLike | undefined = undefined;

  /** Wraps a native handle (internal: use the creation functions). */
  constructor(handle: NativeHandle) {
    this._h = handle;
    track(this);
  }

  get [kScoped](): true {
    return true;
  }

  // ---- metadata ----

  /** Sizes per dimension (frozen; cached on first use). */
  get shape(): number[] {
    if (this._shape === undefined) this._shape = Object.freeze(N.shape(this._h)) as number[];
    return this._shape;
  }
  get dtype(): DType {
    if (this._dtype === undefined) this._dtype = dtypeFromCode(N.scalarType(this._h));
    return this._dtype;
  }
  get device(): DeviceLike {
    if (this._device === undefined) this._device = N.device(this._h) as DeviceLike;
    return this._device;
  }
  numel(): number {
    let n = 1;
    for (const s of this.shape) n *= s;
    return n;
  }
  dim(): number {
    return this.shape.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  size(): number[];
  size(d: number): number;
  size(d?: number): number | number[] {
    const shape = this.shape;
    if (d === undefined) return shape;
    const k = d < 0 ? d + shape.length : d;
    if (k < 0 || k >= shape.length) throw new RangeError(`size: dimension ${d} out of range for a ${shape.length}-d tensor`);
    return shape[k];
  }
  stride(): number[] {
    return N.strides(this._h);
  }
  get isDisposed(): boolean {
    return this._h === null;
  }
  isContiguous(format: MemoryFormat = "contiguous"): boolean {
    return N.isContiguous(this._h, MEMORY_FORMAT_CODE[format]);
  }
  isFloatingPoint(): boolean {
    return isFloatingDType(this.dtype);
  }

  // ---- autograd ----

  get requiresGrad(): boolean {
    return N.requiresGrad(this._h);
  }
  set requiresGrad(on: boolean) {
    N.setRequiresGrad(this._h, on);
  }
  requiresGrad_(on = true): this {
    N.setRequiresGrad(this._h, on);
    return this;
  }
  /** The accumulated gradient (a new handle each read), or null. */
  get grad(): Tensor | null {
    const g = N.grad(this._h);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    N.setGrad(this._h, g === null ? null : g._h);
  }
  get isLeaf(): boolean {
    return N.isLeaf(this._h);
  }
  /** Name of the autograd node that produced this tensor (e.g. "AddBackward0"), or null. */
  get gradFn(): string | null {
    return N.gradFnName(this._h);
  }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    N.backward(this._h, gradient?._h, opts.retainGraph, opts.createGraph ?? false);
  }
  retainGrad(): this {
    N.retainGrad(this._h);
    return this;
  }
  detach(): Tensor {
    return new Tensor(N.detach(this._h));
  }
  /** Drops the gradient (PyTorch's `grad = None`). */
  zeroGrad(): void {
    N.setGrad(this._h, null);
  }

  // ---- arithmetic (broadcasting; numbers are scalars) ----

  add(o: Operand, alpha?: number): Tensor {
    return new Tensor(typeof o === "number" ? N.addScalar(this._h, o, alpha) : N.add(this._h, o._h, alpha));
  }
  sub(o: Operand, alpha?: number): Tensor {
    return new Tensor(typeof o === "number" ? N.subScalar(this._h, o, alpha) : N.sub(this._h, o._h, alpha));
  }
  /** `o - this` for a number o (Python's rsub). */
  rsub(o: number): Tensor {
    return new Tensor(N.rsubScalar(this._h, o));
  }
  mul(o: Operand): Tensor {
    return new Tensor(typeof o === "number" ? N.mulScalar(this._h, o) : N.mul(this._h, o._h));
  }
  div(o: Operand): Tensor {
    return new Tensor(typeof o === "number" ? N.divScalar(this._h, o) : N.div(this._h, o._h));
  }
  /** `o / this` for a number o. */
  rdiv(o: number): Tensor {
    return new Tensor(N.rdivScalar(this._h, o));
  }
  pow(e: Operand): Tensor {
    return new Tensor(typeof e === "number" ? N.powScalar(this._h, e) : N.pow(this._h, e._h));
  }
  remainder(o: Operand): Tensor {
    return new Tensor(typeof o === "number" ? N.remainderScalar(this._h, o) : N.remainder(this._h, o._h));
  }
  maximum(o: Tensor): Tensor {
    return new Tensor(N.maximum(this._h, o._h));
  }
  minimum(o: Tensor): Tensor {
    return new Tensor(N.minimum(this._h, o._h));
  }
  neg(): Tensor { return new Tensor(N.neg(this._h)); }
  sqrt(): Tensor { return new Tensor(N.sqrt(this._h)); }
  rsqrt(): Tensor { return new Tensor(N.rsqrt(this._h)); }
  exp(): Tensor { return new Tensor(N.exp(this._h)); }
  log(): Tensor { return new Tensor(N.log(this._h)); }
  log1p(): Tensor { return new Tensor(N.log1p(this._h)); }
  expm1(): Tensor { return new Tensor(N.expm1(this._h)); }
  abs(): Tensor { return new Tensor(N.abs(this._h)); }
  sigmoid(): Tensor { return new Tensor(N.sigmoid(this._h)); }
  relu(): Tensor { return new Tensor(N.relu(this._h)); }
  tanh(): Tensor { return new Tensor(N.tanh(this._h)); }
  square(): Tensor { return new Tensor(N.square(this._h)); }
  reciprocal(): Tensor { return new Tensor(N.reciprocal(this._h)); }
  sign(): Tensor { return new Tensor(N.sign(this._h)); }
  floor(): Tensor { return new Tensor(N.floor(this._h)); }
  ceil(): Tensor { return new Tensor(N.ceil(this._h)); }
  round(): Tensor { return new Tensor(N.round(this._h)); }
  trunc(): Tensor { return new Tensor(N.trunc(this._h)); }
  sin(): Tensor { return new Tensor(N.sin(this._h)); }
  cos(): Tensor { return new Tensor(N.cos(this._h)); }
  erf(): Tensor { return new Tensor(N.erf(this._h)); }
  isnan(): Tensor { return new Tensor(N.isnan(this._h)); }
  isfinite(): Tensor { return new Tensor(N.isfinite(this._h)); }
  clamp(min?: Operand | null, max?: Operand | null): Tensor {
    if (!(min instanceof Tensor) && !(max instanceof Tensor)) return new Tensor(N.clamp(this._h, min, max));
    if (typeof min === "number" || typeof max === "number") {
      throw new TypeError("clamp: pass both bounds as numbers or both as Tensors");
    }
    return new Tensor(N.clampTensor(this._h, min?._h, max?._h));
  }
  matmul(o: Tensor): Tensor {
    return new Tensor(N.matmul(this._h, o._h));
  }
  t(): Tensor {
    return new Tensor(N.t(this._h));
  }

  // ---- comparisons & logic (bool results) ----

  eq(o: Operand): Tensor { return new Tensor(typeof o === "number" ? N.eqScalar(this._h, o) : N.eq(this._h, o._h)); }
  ne(o: Operand): Tensor { return new Tensor(typeof o === "number" ? N.neScalar(this._h, o) : N.ne(this._h, o._h)); }
  lt(o: Operand): Tensor { return new Tensor(typeof o === "number" ? N.ltScalar(this._h, o) : N.lt(this._h, o._h)); }
  le(o: Operand): Tensor { return new Tensor(typeof o === "number" ? N.leScalar(this._h, o) : N.le(this._h, o._h)); }
  gt(o: Operand): Tensor { return new Tensor(typeof o === "number" ? N.gtScalar(this._h, o) : N.gt(this._h, o._h)); }
  ge(o: Operand): Tensor { return new Tensor(typeof o === "number" ? N.geScalar(this._h, o) : N.ge(this._h, o._h)); }
  logicalAnd(o: Tensor): Tensor { return new Tensor(N.logicalAnd(this._h, o._h)); }
  logicalOr(o: Tensor): Tensor { return new Tensor(N.logicalOr(this._h, o._h)); }
  logicalXor(o: Tensor): Tensor { return new Tensor(N.logicalXor(this._h, o._h)); }
  logicalNot(): Tensor { return new Tensor(N.logicalNot(this._h)); }
  /** Element-wise `cond ? this : other` (PyTorch's x.where(cond, y)). */
  where(cond: Tensor, other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? N.whereScalar(cond._h, this._h, other) : N.where(cond._h, this._h, other._h));
  }
  allclose(o: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): boolean {
    return N.allclose(this._h, o._h, rtol, atol, equalNan);
  }
  /** True when shapes and every element are equal. */
  equal(o: Tensor): boolean {
    return N.equal(this._h, o._h);
  }

  // ---- reductions ----

  sum(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.sum(this._h, dimsArg(dim), keepdim));
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.mean(this._h, dimsArg(dim), keepdim));
  }
  prod(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.prod(this._h, dim, keepdim));
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(a?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    if (a === undefined) return new Tensor(N.maxAll(this._h));
    if (a instanceof Tensor) return this.maximum(a);
    const [v, i] = N.maxDim(this._h, a, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(a?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    if (a === undefined) return new Tensor(N.minAll(this._h));
    if (a instanceof Tensor) return this.minimum(a);
    const [v, i] = N.minDim(this._h, a, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmax(this._h, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmin(this._h, dim, keepdim));
  }
  std(dim?: number | number[], keepdim = false, unbiased = true): Tensor {
    return new Tensor(N.std(this._h, dimsArg(dim), unbiased, keepdim));
  }
  var(dim?: number | number[], keepdim = false, unbiased = true): Tensor {
    return new Tensor(N.var(this._h, dimsArg(dim), unbiased, keepdim));
  }
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.norm(this._h, p, dimsArg(dim), keepdim));
  }
  all(): Tensor { return new Tensor(N.all(this._h)); }
  any(): Tensor { return new Tensor(N.any(this._h)); }
  cumsum(dim: number): Tensor { return new Tensor(N.cumsum(this._h, dim)); }

  // ---- shape ----

  reshape(shape: number[]): Tensor { return new Tensor(N.reshape(this._h, shape)); }
  view(shape: number[]): Tensor { return new Tensor(N.view(this._h, shape)); }
  permute(dims: number[]): Tensor { return new Tensor(N.permute(this._h, dims)); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(N.transpose(this._h, d0, d1)); }
  /** A contiguous copy (or this tensor's data when already contiguous in `format`). */
  contiguous(format: MemoryFormat = "contiguous"): Tensor {
    return new Tensor(N.contiguous(this._h, MEMORY_FORMAT_CODE[format]));
  }
  /** Same values stored in `format` (e.g. "channelsLast" for NHWC convolutions). */
  toMemoryFormat(format: MemoryFormat): Tensor {
    return new Tensor(N.toMemoryFormat(this._h, MEMORY_FORMAT_CODE[format]));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this._h, dim, start, length));
  }
  /** Python's x[..., start:end:step, ...] along `dim`; start/end may be negative or omitted. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(N.slice(this._h, dim, start, end, step));
  }
  select(dim: number, index: number): Tensor { return new Tensor(N.select(this._h, dim, index)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(N.indexSelect(this._h, dim, index._h)); }
  flip(dims: number[]): Tensor { return new Tensor(N.flip(this._h, dims)); }
  roll(shifts: number | number[], dims: number | number[]): Tensor {
    return new Tensor(N.roll(this._h, typeof shifts === "number" ? [shifts] : shifts, typeof dims === "number" ? [dims] : dims));
  }
  squeeze(dim?: number): Tensor { return new Tensor(N.squeeze(this._h, dim)); }
  unsqueeze(dim: number): Tensor { return new Tensor(N.unsqueeze(this._h, dim)); }
  expand(shape: number[]): Tensor { return new Tensor(N.expand(this._h, shape)); }
  expandAs(other: Tensor): Tensor { return this.expand(other.shape); }
  repeat(reps: number[]): Tensor { return new Tensor(N.repeat(this._h, reps)); }
  flatten(start = 0, end = -1): Tensor { return new Tensor(N.flatten(this._h, start, end)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(N.gather(this._h, dim, index._h)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatter(this._h, dim, index._h, src._h));
  }
  split(size: number, dim = 0): Tensor[] { return N.split(this._h, size, dim).map((h) => new Tensor(h)); }
  chunk(chunks: number, dim = 0): Tensor[] { return N.chunk(this._h, chunks, dim).map((h) => new Tensor(h)); }
  unbind(dim = 0): Tensor[] { return N.unbind(this._h, dim).map((h) => new Tensor(h)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(N.maskedFill(this._h, mask._h, value)); }
  maskedSelect(mask: Tensor): Tensor { return new Tensor(N.maskedSelect(this._h, mask._h)); }
  nonzero(): Tensor { return new Tensor(N.nonzero(this._h)); }
  sort(dim = -1, descending = false): ValuesIndices {
    const [v, i] = N.sort(this._h, dim, descending);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  topk(k: number, dim = -1, largest = true): ValuesIndices {
    const [v, i] = N.topk(this._h, k, dim, largest);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }

  // ---- dtype / device ----

  /** Converts to a dtype and/or device: `to("float16")`, `to("cuda")`, `to({dtype, device, copy})`. */
  to(target: DType | DeviceLike | ToOptions): Tensor {
    if (typeof target === "string") {
      if (isDType(target)) return new Tensor(N.to(this._h, DTYPE_CODE[target], null, false));
      return new Tensor(N.to(this._h, null, checkDevice(target), false));
    }
    const code = target.dtype === undefined ? null : DTYPE_CODE[target.dtype];
    const device = target.device === undefined ? null : checkDevice(target.device);
    return new Tensor(N.to(this._h, code, device, target.copy ?? false));
  }
  /**
   * Makes this tensor hold `src`'s data (PyTorch's `t.data = src`), keeping this handle and its
   * autograd identity (requires-grad, hooks, optimisers holding it); dtype, device and layout may
   * change. `src` is left as it was (it shares its storage with this tensor afterwards).
   */
  setData_(src: Tensor): this {
    N.setData(this._h, src._h);
    this._shape = undefined;
    this._dtype = undefined;
    this._device = undefined;
    return this;
  }
  float(): Tensor { return this.to("float32"); }
  double(): Tensor { return this.to("float64"); }
  half(): Tensor { return this.to("float16"); }
  long(): Tensor { return this.to("int64"); }
  int(): Tensor { return this.to("int32"); }
  bool(): Tensor { return this.to("bool"); }
  cpu(): Tensor { return this.to("cpu"); }
  cuda(index = 0): Tensor { return this.to(`cuda:${index}`); }
  clone(format: MemoryFormat = "preserve"): Tensor {
    return new Tensor(N.clone(this._h, MEMORY_FORMAT_CODE[format]));
  }

  // ---- in-place (optimisers, init) ----

  add_(o: Operand, alpha?: number): this {
    if (typeof o === "number") N.addScalar_(this._h, o, alpha);
    else N.add_(this._h, o._h, alpha);
    return this;
  }
  sub_(o: Operand, alpha?: number): this {
    if (typeof o === "number") N.subScalar_(this._h, o, alpha);
    else N.sub_(this._h, o._h, alpha);
    return this;
  }
  mul_(o: Operand): this {
    if (typeof o === "number") N.mulScalar_(this._h, o);
    else N.mul_(this._h, o._h);
    return this;
  }
  div_(o: Operand): this {
    if (typeof o === "number") N.divScalar_(this._h, o);
    else N.div_(this._h, o._h);
    return this;
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    N.addcmul_(this._h, a._h, b._h, value);
    return this;
  }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    N.addcdiv_(this._h, a._h, b._h, value);
    return this;
  }
  copy_(src: Tensor): this { N.copy_(this._h, src._h); return this; }
  zero_(): this { N.zero_(this._h); return this; }
  fill_(value: number): this { N.fill_(this._h, value); return this; }
  clamp_(min?: number | null, max?: number | null): this { N.clamp_(this._h, min, max); return this; }
  sqrt_(): this { N.sqrt_(this._h); return this; }
  neg_(): this { N.neg_(this._h); return this; }
  relu_(): this { N.relu_(this._h); return this; }
  maximum_(o: Tensor): this { N.maximum_(this._h, o._h); return this; }
  maskedFill_(mask: Tensor, value: number): this { N.maskedFill_(this._h, mask._h, value); return this; }
  lerp_(end: Tensor, weight: Operand): this {
    if (typeof weight === "number") N.lerp_(this._h, end._h, weight);
    else N.lerpTensor_(this._h, end._h, weight._h);
    return this;
  }
  uniform_(lo = 0, hi = 1, generator?: Generator): this {
    N.uniform_(this._h, lo, hi, generator?._g);
    return this;
  }
  normal_(mean = 0, std = 1, generator?: Generator): this {
    N.normal_(this._h, mean, std, generator?._g);
    return this;
  }
  bernoulli_(p = 0.5, generator?: Generator): this {
    N.bernoulli_(this._h, p, generator?._g);
    return this;
  }

  // ---- data out ----

  /** The single value of a one-element tensor. */
  item(): number {
    return N.item(this._h);
  }
  /** A contiguous CPU copy of the elements as a typed array (float16/bfloat16 widened to float32). */
  toArray(): ArrayFor<DType> {
    const d = this.dtype;
    if (d === "float16" || d === "bfloat16") {
      const f = this.to("float32");
      try {
        return new Float32Array(N.toBuffer(f._h));
      } finally {
        f.dispose();
      }
    }
    return viewAs(N.toBuffer(this._h), d) as ArrayFor<DType>;
  }
  /** The elements converted to float32. */
  toFloat32Array(): Float32Array {
    if (this.dtype === "float32") return new Float32Array(N.toBuffer(this._h));
    const f = this.to("float32");
    try {
      return new Float32Array(N.toBuffer(f._h));
    } finally {
      f.dispose();
    }
  }
  /** Raw little-endian element bytes, contiguous, row-major (what safetensors stores). */
  toBytes(): Uint8Array {
    return new Uint8Array(N.toBuffer(this._h));
  }
  /** Nested arrays of numbers (int64 converted to number; bool as 0/1), like Python's tolist(). */
  toList(): NestedNumbers {
    const flat = this.toArray() as TypedArray;
    const shape = this.shape;
    const at = (i: number): number => Number(flat[i]);
    if (shape.length === 0) return at(0);
    const build = (d: number, offset: number): NestedNumbers[] | number[] => {
      const n = shape[d];
      let stride = 1;
      for (let k = d + 1; k < shape.length; k++) stride *= shape[k];
      const out: NestedNumbers[] = [];
      for (let i = 0; i < n; i++) out.push(d === shape.length - 1 ? at(offset + i) : build(d + 1, offset + i * stride));
      return out as NestedNumbers[];
    };
    return build(0, 0);
  }

  // ---- lifetime ----

  /** Frees this handle's native reference now (memory goes when no other reference holds it). */
  dispose(): void {
    if (this._h !== null) {
      N.dispose(this._h);
      this._h = null;
    }
  }
  /** Exempts this tensor from every enclosing tidy() scope. */
  keep(): this {
    this._kept = true;
    return this;
  }
  /** Bytes of one element. */
  elementSize(): number {
    return ELEMENT_SIZE[this.dtype];
  }

  toString(): string {
    if (this._h === null) return "tensor(<disposed>)";
    return formatTensor(this);
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

export type NestedNumbers = number | NestedNumbers[];
