// src/tensor — the tensor engine over libtorch: Tensor, creation, autograd scopes, memory scopes,
// random generators and the functional ops (F). Knows nothing about hearts.
// native.ts owns loading the addon (native/build/cardioseg_native.node) and the exact signatures
// of its functions; nothing outside src/tensor should import it.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

declare const handleBrand: unique symbol;
/** An opaque reference to one libtorch tensor (a JS external owned by the addon). */
export type NativeHandle = { readonly [handleBrand]: "tensor" };
declare const generatorBrand: unique symbol;
export type NativeGenerator = { readonly [generatorBrand]: "generator" };
declare const c10dBrand: unique symbol;
/** Opaque c10d objects (JS externals owned by the addon): a Store, a ProcessGroup, a Work. */
export type NativeStore = { readonly [c10dBrand]: "store" };
export type NativeGroup = { readonly [c10dBrand]: "group" };
export type NativeWork = { readonly [c10dBrand]: "work" };
export type NativeHook = { readonly [c10dBrand]: "hook" };
declare const packBrand: unique symbol;
/** A packed oneDNN inference convolution (onednn.cc): its weights in the kernel's layout. */
export type NativePack = { readonly [packBrand]: "pack" };

/** A tensor argument; null (a disposed Tensor) makes the addon throw a clear Error. */
type H = NativeHandle | null;
type Opt<X> = X | null | undefined;
type Gen = NativeGenerator | null | undefined;
type Unary = (a: H) => NativeHandle;
type Binary = (a: H, b: H) => NativeHandle;
type WithScalar = (a: H, s: number) => NativeHandle;
type InPlace0 = (a: H) => void;

export interface NativeAddon {
  // lifetime
  dispose(a: H): void;
  memoryStats(): { liveTensors: number; liveBytes: number };
  // creation (dtype codes: see dtype.ts; device strings; shapes as number arrays)
  zeros(shape: number[], dtype: number, device: Opt<string>): NativeHandle;
  ones(shape: number[], dtype: number, device: Opt<string>): NativeHandle;
  empty(shape: number[], dtype: number, device: Opt<string>): NativeHandle;
  full(shape: number[], value: number, dtype: number, device: Opt<string>): NativeHandle;
  zerosLike: Unary; onesLike: Unary; emptyLike: Unary;
  fullLike(a: H, value: number): NativeHandle;
  arange(start: number, end: number, step: number, dtype: number, device: Opt<string>): NativeHandle;
  linspace(start: number, end: number, steps: number, dtype: number, device: Opt<string>): NativeHandle;
  eye(n: number, m: number, dtype: number, device: Opt<string>): NativeHandle;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, dtype: number, shape: number[], device: Opt<string>): NativeHandle;
  fromBufferShared(data: ArrayBufferView, dtype: number, shape: number[]): NativeHandle;
  toBuffer(a: H): ArrayBuffer;
  // metadata
  shape(a: H): number[]; strides(a: H): number[]; scalarType(a: H): number; device(a: H): string;
  item(a: H): number; isContiguous(a: H, format: number): boolean; dataPtr(a: H): number;
  to(a: H, dtype: Opt<number>, device: Opt<string>, copy: boolean): NativeHandle;
  setData(a: H, src: H): void;
  contiguous(a: H, format: number): NativeHandle;
  clone(a: H, format: Opt<number>): NativeHandle;
  toMemoryFormat(a: H, format: number): NativeHandle;
  // runtime
  setNumThreads(n: number): void; getNumThreads(): number;
  setNumInteropThreads(n: number): void; getNumInteropThreads(): number;
  cudaDeviceCount(): number; cudaSynchronize(device?: number): void; hasMKLDNN(): boolean; parallelInfo(): string;
  setFlushDenormal(on: boolean): boolean;
  mallopt(param: number, value: number): boolean;
  // maths
  neg: Unary; sqrt: Unary; rsqrt: Unary; exp: Unary; log: Unary; log1p: Unary; expm1: Unary; abs: Unary;
  sigmoid: Unary; relu: Unary; tanh: Unary; square: Unary; reciprocal: Unary; sign: Unary; floor: Unary;
  ceil: Unary; round: Unary; trunc: Unary; sin: Unary; cos: Unary; erf: Unary; logicalNot: Unary;
  isnan: Unary; isfinite: Unary; t: Unary; detach: Unary;
  clamp(a: H, min: Opt<number>, max: Opt<number>): NativeHandle;
  clampTensor(a: H, min: H | undefined, max: H | undefined): NativeHandle;
  add(a: H, b: H, alpha?: number): NativeHandle; sub(a: H, b: H, alpha?: number): NativeHandle;
  addScalar(a: H, s: number, alpha?: number): NativeHandle; subScalar(a: H, s: number, alpha?: number): NativeHandle;
  mul: Binary; div: Binary; pow: Binary; maximum: Binary; minimum: Binary; remainder: Binary; matmul: Binary;
  eq: Binary; ne: Binary; lt: Binary; le: Binary; gt: Binary; ge: Binary;
  logicalAnd: Binary; logicalOr: Binary; logicalXor: Binary;
  mulScalar: WithScalar; divScalar: WithScalar; powScalar: WithScalar; rpowScalar: WithScalar;
  rsubScalar: WithScalar; rdivScalar: WithScalar; remainderScalar: WithScalar;
  eqScalar: WithScalar; neScalar: WithScalar; ltScalar: WithScalar; leScalar: WithScalar;
  gtScalar: WithScalar; geScalar: WithScalar;
  allclose(a: H, b: H, rtol: number, atol: number, equalNan: boolean): boolean;
  equal(a: H, b: H): boolean;
  // reductions (dims null = all)
  sum(a: H, dims: Opt<number[]>, keepdim: boolean): NativeHandle;
  mean(a: H, dims: Opt<number[]>, keepdim: boolean): NativeHandle;
  prod(a: H, dim: Opt<number>, keepdim: boolean): NativeHandle;
  maxAll: Unary; minAll: Unary; all: Unary; any: Unary;
  maxDim(a: H, dim: number, keepdim: boolean): [NativeHandle, NativeHandle];
  minDim(a: H, dim: number, keepdim: boolean): [NativeHandle, NativeHandle];
  argmax(a: H, dim: Opt<number>, keepdim: boolean): NativeHandle;
  argmin(a: H, dim: Opt<number>, keepdim: boolean): NativeHandle;
  std(a: H, dims: Opt<number[]>, unbiased: boolean, keepdim: boolean): NativeHandle;
  var(a: H, dims: Opt<number[]>, unbiased: boolean, keepdim: boolean): NativeHandle;
  norm(a: H, p: number, dims: Opt<number[]>, keepdim: boolean): NativeHandle;
  cumsum(a: H, dim: number): NativeHandle;
  bincount(a: H, weights: H | undefined, minlength: number): NativeHandle;
  // in-place
  add_(a: H, b: H, alpha?: number): void; sub_(a: H, b: H, alpha?: number): void;
  addScalar_(a: H, s: number, alpha?: number): void; subScalar_(a: H, s: number, alpha?: number): void;
  mul_(a: H, b: H): void; div_(a: H, b: H): void; mulScalar_(a: H, s: number): void; divScalar_(a: H, s: number): void;
  addcmul_(a: H, b: H, c: H, value?: number): void; addcdiv_(a: H, b: H, c: H, value?: number): void;
  copy_(a: H, src: H): void; zero_: InPlace0; fill_(a: H, v: number): void;
  clamp_(a: H, min: Opt<number>, max: Opt<number>): void;
  lerp_(a: H, end: H, weight: number): void; lerpTensor_(a: H, end: H, weight: H): void;
  sqrt_: InPlace0; neg_: InPlace0; relu_: InPlace0; maximum_(a: H, b: H): void;
  maskedFill_(a: H, mask: H, v: number): void;
  // multi-tensor (torch._foreach_*)
  foreachMulScalar_(ts: H[], s: number): void; foreachAddScalar_(ts: H[], s: number): void;
  foreachDivScalar_(ts: H[], s: number): void; foreachAdd_(ts: H[], others: H[], alpha?: number): void;
  foreachAddcmul_(ts: H[], a: H[], b: H[], value?: number): void; foreachAddcdiv_(ts: H[], a: H[], b: H[], value?: number): void;
  foreachSqrt(ts: H[]): NativeHandle[];
  sgdFused_(params: H[], grads: H[], momentumBuffers: H[], lr: number, momentum: number, dampening: number,
    weightDecay: number, nesterov: boolean, firstStep: boolean): void;
  adamFused_(params: H[], grads: H[], expAvg: H[], expAvgSq: H[], lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, step: number, decoupled: boolean): void;
  // shape
  reshape(a: H, shape: number[]): NativeHandle; view(a: H, shape: number[]): NativeHandle;
  permute(a: H, dims: number[]): NativeHandle; transpose(a: H, d0: number, d1: number): NativeHandle;
  narrow(a: H, dim: number, start: number, length: number): NativeHandle;
  slice(a: H, dim: number, start: Opt<number>, end: Opt<number>, step: number): NativeHandle;
  select(a: H, dim: number, index: number): NativeHandle;
  indexSelect(a: H, dim: number, index: H): NativeHandle;
  flip(a: H, dims: number[]): NativeHandle; roll(a: H, shifts: number[], dims: number[]): NativeHandle;
  squeeze(a: H, dim: Opt<number>): NativeHandle; unsqueeze(a: H, dim: number): NativeHandle;
  expand(a: H, shape: number[]): NativeHandle; repeat(a: H, reps: number[]): NativeHandle;
  flatten(a: H, start: number, end: number): NativeHandle;
  gather(a: H, dim: number, index: H): NativeHandle;
  scatter(a: H, dim: number, index: H, src: H): NativeHandle;
  cat(ts: H[], dim: number): NativeHandle; stack(ts: H[], dim: number): NativeHandle;
  split(a: H, size: number, dim: number): NativeHandle[]; chunk(a: H, n: number, dim: number): NativeHandle[];
  unbind(a: H, dim: number): NativeHandle[];
  where(c: H, a: H, b: H): NativeHandle; whereScalar(c: H, a: H, b: number): NativeHandle;
  maskedFill(a: H, mask: H, v: number): NativeHandle; maskedSelect(a: H, mask: H): NativeHandle;
  nonzero: Unary; triu(a: H, diagonal?: number): NativeHandle;
  unique(a: H, returnCounts: boolean): [NativeHandle, NativeHandle];
  sort(a: H, dim: number, descending: boolean): [NativeHandle, NativeHandle];
  topk(a: H, k: number, dim: number, largest: boolean): [NativeHandle, NativeHandle];
  pad(a: H, pads: number[], mode: string, value: Opt<number>): NativeHandle;
  // nn
  conv2d(x: H, w: H, b: H | undefined, stride: number[], padding: number[], dilation: number[], groups: number): NativeHandle;
  conv2dSame(x: H, w: H, b: H | undefined, stride: number[], dilation: number[], groups: number): NativeHandle;
  conv2dBackwardRoute(x: H, w: H, stride: number[], padding: number[], dilation: number[], groups: number):
    [boolean, boolean];
  convTranspose2d(x: H, w: H, b: H | undefined, stride: number[], padding: number[], outputPadding: number[],
    groups: number, dilation: number[]): NativeHandle;
  linear(x: H, w: H, b: H | undefined): NativeHandle;
  batchNorm(x: H, runningMean: H | undefined, runningVar: H | undefined, weight: H | undefined, bias: H | undefined,
    training: boolean, momentum: number, eps: number): NativeHandle;
  groupNorm(x: H, groups: number, weight: H | undefined, bias: H | undefined, eps: number): NativeHandle;
  layerNorm(x: H, shape: number[], weight: H | undefined, bias: H | undefined, eps: number): NativeHandle;
  leakyRelu(x: H, slope: number): NativeHandle; gelu(x: H, tanhApprox: boolean): NativeHandle; silu: Unary;
  softmax(x: H, dim: number): NativeHandle; logSoftmax(x: H, dim: number): NativeHandle;
  maxPool2d(x: H, k: number[], s: number[], p: number[], d: number[], ceil: boolean): NativeHandle;
  avgPool2d(x: H, k: number[], s: number[], p: number[], ceil: boolean, countIncludePad: boolean,
    divisorOverride: Opt<number>): NativeHandle;
  adaptiveAvgPool2d(x: H, size: number[]): NativeHandle; adaptiveMaxPool2d(x: H, size: number[]): NativeHandle;
  interpolate(x: H, size: Opt<number[]>, scale: Opt<number[]>, mode: number, alignCorners: boolean): NativeHandle;
  affineGrid(theta: H, size: number[], alignCorners: boolean): NativeHandle;
  gridSample(x: H, grid: H, mode: number, padding: number, alignCorners: boolean): NativeHandle;
  oneHot(labels: H, n: number): NativeHandle;
  crossEntropy(x: H, target: H, weight: H | undefined, reduction: number, ignoreIndex: number,
    labelSmoothing: number): NativeHandle;
  nllLoss(x: H, target: H, weight: H | undefined, reduction: number, ignoreIndex: number): NativeHandle;
  mseLoss(a: H, b: H, reduction: number): NativeHandle; l1Loss(a: H, b: H, reduction: number): NativeHandle;
  smoothL1Loss(a: H, b: H, reduction: number, beta: number): NativeHandle;
  binaryCrossEntropyWithLogits(x: H, y: H, weight: H | undefined, posWeight: H | undefined,
    reduction: number): NativeHandle;
  // random
  generatorNew(seed?: number, device?: Opt<string>): NativeGenerator; generatorDevice(g: NativeGenerator): string;
  generatorManualSeed(g: NativeGenerator, seed: number): void;
  generatorInitialSeed(g: NativeGenerator): number; generatorGetState(g: NativeGenerator): Uint8Array;
  generatorSetState(g: NativeGenerator, state: Uint8Array): void; manualSeed(seed: number): void;
  randn(shape: number[], dtype: number, device: Opt<string>, gen: Gen): NativeHandle;
  rand(shape: number[], dtype: number, device: Opt<string>, gen: Gen): NativeHandle;
  randint(low: number, high: number, shape: number[], dtype: number, device: Opt<string>, gen: Gen): NativeHandle;
  randperm(n: number, dtype: number, device: Opt<string>, gen: Gen): NativeHandle;
  uniform_(a: H, lo: number, hi: number, gen: Gen): void; normal_(a: H, mean: number, std: number, gen: Gen): void;
  bernoulli_(a: H, p: number, gen: Gen): void;
  multinomial(probs: H, n: number, replacement: boolean, gen: Gen): NativeHandle;
  dropout(x: H, p: number, training: boolean, gen: Gen, channelwise: boolean): NativeHandle;
  // autograd
  requiresGrad(a: H): boolean; setRequiresGrad(a: H, on: boolean): void; isLeaf(a: H): boolean;
  grad(a: H): NativeHandle | null; setGrad(a: H, g: H): void; retainGrad(a: H): void;
  backward(a: H, gradient: H | undefined, retainGraph: Opt<boolean>, createGraph: boolean): void;
  autogradGrad(outputs: H[], inputs: H[], gradOutputs: Opt<H[]>, retainGraph: Opt<boolean>, createGraph: boolean,
    allowUnused: boolean): (NativeHandle | null)[];
  gradFnName(a: H): string | null;
  setGradEnabled(on: boolean): boolean; isGradEnabled(): boolean; version(a: H): number;
  autocastEnter(device: "cpu" | "cuda", dtype: number): [boolean, number];
  autocastExit(device: "cpu" | "cuda", enabled: boolean, dtype: number): void;
  // packed oneDNN inference convolutions (onednn.cc); the last three only where onednnAvailable()
  onednnAvailable(): boolean;
  convPack(w: H, b: H | undefined, stride: number[], padding: number[], dilation: number[],
    winograd: boolean): NativePack;
  convPacked(p: NativePack, x: H): NativeHandle;
  convPackImplementation(p: NativePack): string;
  registerPostAccumulateGradHook(a: H, fn: () => void): NativeHook; removeGradHook(h: NativeHook): void;
  // c10d (distributed.cc); reduce op codes: 0 sum, 1 product, 2 min, 3 max
  tcpStoreNew(host: string, port: number, isServer: boolean, worldSize: Opt<number>, timeoutMs: number,
    waitWorkers: boolean, multiTenant: boolean): NativeStore;
  tcpStorePort(s: NativeStore): number; prefixStoreNew(prefix: string, s: NativeStore): NativeStore;
  storeSet(s: NativeStore, key: string, value: Uint8Array): void; storeGet(s: NativeStore, key: string): Uint8Array;
  storeAdd(s: NativeStore, key: string, n: number): number; storeCheck(s: NativeStore, keys: string[]): boolean;
  storeWait(s: NativeStore, keys: string[], timeoutMs: number): void; storeDeleteKey(s: NativeStore, key: string): boolean;
  storeSetTimeout(s: NativeStore, timeoutMs: number): void;
  c10dBackends(): { gloo: boolean; nccl: boolean };
  processGroupGlooNew(s: NativeStore, rank: number, size: number, timeoutMs: number, interfaces: Opt<string[]>,
    hostname: Opt<string>): NativeGroup;
  processGroupNcclNew(s: NativeStore, rank: number, size: number, timeoutMs: number): NativeGroup;
  pgRank(g: NativeGroup): number; pgSize(g: NativeGroup): number; pgBackendName(g: NativeGroup): string;
  pgShutdown(g: NativeGroup): void;
  pgAllreduce(g: NativeGroup, ts: H[], op: number): NativeWork;
  pgAllreduceCoalesced(g: NativeGroup, ts: H[], op: number): NativeWork;
  pgBroadcast(g: NativeGroup, ts: H[], root: number): NativeWork;
  pgAllgather(g: NativeGroup, outputs: H[], input: H): NativeWork;
  pgBarrier(g: NativeGroup): NativeWork;
  pgMonitoredBarrier(g: NativeGroup, timeoutMs: number, waitAllRanks: boolean): void;
  workWait(w: NativeWork, timeoutMs?: Opt<number>): boolean; workIsCompleted(w: NativeWork): boolean;
  broadcastCoalesced(g: NativeGroup, ts: H[], bufferBytes: number, root: number): void;
  registerAllreduceGradHook(a: H, g: NativeGroup): void;
}

const ADDON_FILE = join("native", "build", "cardioseg_native.node");

function findAddon(): string {
  const override = process.env.CARDIOSEG_NATIVE;
  if (override) return override;
  // Walk up from this module (src/tensor or dist/src/tensor) to the project root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`cardioseg: the native addon (${ADDON_FILE}) is not built; run \`node scripts/build-addon.mjs\``);
}

function loadAddon(): NativeAddon {
  const path = findAddon();
  // OpenMP's wait policy is libgomp's own default, as PyTorch's users have it: a thread spins a short while
  // after a parallel region before it sleeps. Measured here (2026-12-02, alternated processes, alone on the
  // machine) against OMP_WAIT_POLICY=PASSIVE, which cardioseg set until then: an acdc-cpu training step
  // 253-272 against 351-359 ms, `cardioseg train` 3.0-3.3 against 2.8-2.9 it/s, a volume forward 146-156
  // against 159-256 ms. Two busy processes at once are the other way round (each forward 463-600 against
  // 273-296 ms): on a shared machine set OMP_WAIT_POLICY=PASSIVE (README, Hardware notes).
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cardioseg: could not load the native addon ${path}: ${why} (rebuild: node scripts/build-addon.mjs)`);
  }
}

/** Threads for libtorch's intra-op pool: CARDIOSEG_THREADS, else every available core. */
export function defaultThreadCount(): number {
  const env = process.env.CARDIOSEG_THREADS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`CARDIOSEG_THREADS must be a positive integer, got '${env}'`);
    return n;
  }
  return availableParallelism();
}

export const N: NativeAddon = loadAddon();

// glibc hands every freed block above 128 KiB straight back to the kernel (munmap, heap trimming),
// so each large temporary of a training step (activations, gradients, optimiser scratch) is
// page-faulted in afresh: a fifth of a DeepLab step's CPU time on this project's machines, and most
// of the batched augmentation's. Keeping freed memory for reuse (what PyTorch users get from
// jemalloc or tcmalloc) costs a resident set that stays at the process's peak. Blocks above glibc's
// 32 MiB mmap ceiling (a DeepLabV3-R50 OS8 step's, a large batch's activations) would still be mapped
// and faulted in afresh on every use, so mmap is off for blocks altogether (M_MMAP_MAX 0: glibc still
// maps when the heap cannot grow). Measured on this project's machine, alternated processes: the R50 OS8
// SGD step at batch 2 took 1914 against 2703 ms (page faults 375k against 818k), its eval forward at batch
// 8 1.46-1.59 against 2.9-3.3 s; peak RSS about 5-13 % higher; the acdc-cpu step unchanged. The user's own
// MALLOC_* settings, or CARDIOSEG_MALLOC=system, keep glibc's defaults.
if (process.env.CARDIOSEG_MALLOC !== "system" && !Object.keys(process.env).some((k) => k.startsWith("MALLOC_"))) {
  const M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3, M_MMAP_MAX = -4;
  N.mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's ceiling: blocks up to 32 MiB come from the heap
  N.mallopt(M_MMAP_MAX, 0); // and larger ones too
  N.mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1);
  N.mallopt(M_TOP_PAD, 64 << 20);
}

// libtorch detects one physical core on these VMs and would otherwise run single-threaded.
const threads = defaultThreadCount();
N.setNumThreads(threads);
// We never fork inter-op work (no TorchScript); a small pool avoids idle threads.
N.setNumInteropThreads(Math.max(1, Math.min(4, Math.floor(threads / 2))));
