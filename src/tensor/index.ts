// Public entry of the tensor engine: Tensor, creation, autograd and memory scopes, generators,
// runtime knobs, the functional ops as `F` and the multi-tensor ops as `foreach`. Import from here,
// not from the files behind it.
export { Tensor, MEMORY_FORMAT_CODE } from "./tensor.js";
export type { Operand, MemoryFormat, ToOptions, ValuesIndices, NestedNumbers } from "./tensor.js";
export type { DType, DeviceLike, TensorOptions, TypedArray, ArrayFor } from "./dtype.js";
export { isDType, isFloatingDType, ELEMENT_SIZE } from "./dtype.js";
export {
  tensor, fromTypedArray, fromBytes, zeros, ones, empty, full, zerosLike, onesLike, emptyLike, fullLike,
  arange, linspace, eye, randn, rand, randint, randperm, multinomial, cat, stack, where,
} from "./creation.js";
export type { NestedArray, RandomOptions, FromArrayOptions } from "./creation.js";
export { Generator, manualSeed } from "./generator.js";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, grad, onGradAccumulated, autocast, type AutocastDType }
  from "./autograd.js";
export type { GradOptions } from "./autograd.js";
export { tidy, disposeAll } from "./scope.js";
export {
  memoryStats, setNumThreads, getNumThreads, cudaIsAvailable, cudaDeviceCount, cudaSynchronize, parallelInfo,
  cpuHasNativeBf16,
} from "./runtime.js";
export type { MemoryStats } from "./runtime.js";
export { PackedConvolution, packedConvolutionsAvailable, type PackOptions } from "./packed-conv.js";
export { Store, ProcessGroup, Work, c10dBackends } from "./c10d.js";
export type { ReduceOp, TCPStoreOptions, GlooOptions } from "./c10d.js";
export * as F from "./functional.js";
export * as foreach from "./foreach.js";
