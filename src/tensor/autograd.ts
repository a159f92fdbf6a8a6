// Autograd scopes and queries: noGrad/enableGrad (PyTorch's torch.no_grad / enable_grad; grad
// mode is per thread), grad() (torch.autograd.grad) for gradients without touching .grad, and
// post-accumulate-grad hooks (torch 2.1's Tensor.register_post_accumulate_grad_hook), and
// autocast (torch.autocast: mixed precision, per thread like grad mode).
import { DTYPE_CODE } from "./dtype.js";
import { N } from "./native.js";
import { Tensor } from "./tensor.js";

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = N.setGradEnabled(on);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

/** Runs `fn` (synchronously) with gradient recording off. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` (synchronously) with gradient recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** The lower precision autocast runs its listed ops in (convolutions, matmuls) — PyTorch's choices. */
export type AutocastDType = "bfloat16" | "float16";

/**
 * Runs `fn` (synchronously) under torch.autocast(device, dtype): libtorch runs convolutions and matmuls in
 * `dtype` and keeps precision-sensitive ops in float32. Leaving the outermost region clears the cache of
 * down-cast weights, as PyTorch does, so an optimiser step is never shadowed by a stale copy.
 */
export function autocast<T>(device: "cpu" | "cuda", dtype: AutocastDType, fn: () => T): T {
  const [enabled, prevDtype] = N.autocastEnter(device, DTYPE_CODE[dtype]);
  try {
    return fn();
  } finally {
    N.autocastExit(device, enabled, prevDtype);
  }
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled();
}

export function setGradEnabled(on: boolean): void {
  N.setGradEnabled(on);
}

export interface GradOptions {
  gradOutputs?: Tensor[];
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on (otherwise an Error). */
  allowUnused?: boolean;
}

/** Gradients of `outputs` with respect to `inputs` (torch.autograd.grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const result = N.autogradGrad(
    outs.map((t) => t._h), ins.map((t) => t._h), opts.gradOutputs?.map((t) => t._h), opts.retainGraph,
    opts.createGraph ?? false, opts.allowUnused ?? false,
  );
  return result.map((h) => (h === null ? null : new Tensor(h)));
}

/**
 * Calls `fn` each time backward has accumulated a gradient into `leaf.grad`, from inside backward
 * (CPU backwards only: a CUDA backward runs on libtorch's device threads, where the hook throws).
 * Returns the function that removes the hook. DDP starts its gradient buckets this way.
 */
export function onGradAccumulated(leaf: Tensor, fn: () => void): () => void {
  let hook: ReturnType<typeof N.registerPostAccumulateGradHook> | null = N.registerPostAccumulateGradHook(leaf._h, fn);
  return () => {
    if (hook) N.removeGradHook(hook);
    hook = null;
  };
}
