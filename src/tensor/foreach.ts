// Multi-tensor ops (torch._foreach_*), exported as `foreach`: one call updates a whole list of
// tensors in place, as torch.optim does with foreach=True. On the CPU ATen applies the
// single-tensor kernel to each element, so the results equal per-tensor calls bit for bit; what
// the list saves is one crossing into the addon (and one scope entry) per tensor.
import { N } from "./native.js";
import { Tensor } from "./tensor.js";

const handles = (ts: readonly Tensor[]): Tensor["_h"][] => ts.map((t) => t._h);

export function mul_(ts: readonly Tensor[], s: number): void {
  N.foreachMulScalar_(handles(ts), s);
}
export function addScalar_(ts: readonly Tensor[], s: number): void {
  N.foreachAddScalar_(handles(ts), s);
}
export function div_(ts: readonly Tensor[], s: number): void {
  N.foreachDivScalar_(handles(ts), s);
}
/** ts[i] += alpha * others[i]. */
export function add_(ts: readonly Tensor[], others: readonly Tensor[], alpha = 1): void {
  N.foreachAdd_(handles(ts), handles(others), alpha);
}
/** ts[i] += value * a[i] * b[i]. */
export function addcmul_(ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value = 1): void {
  N.foreachAddcmul_(handles(ts), handles(a), handles(b), value);
}
/** ts[i] += value * a[i] / b[i]. */
export function addcdiv_(ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value = 1): void {
  N.foreachAddcdiv_(handles(ts), handles(a), handles(b), value);
}
export function sqrt(ts: readonly Tensor[]): Tensor[] {
  return N.foreachSqrt(handles(ts)).map((h) => new Tensor(h));
}

/** Adam's hyperparameters for adamFused_; `decoupled` = AdamW's weight decay, else Adam's L2 term. */
export interface FusedAdamStep {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number; decoupled: boolean;
}

/**
 * Whether the fused steps (adamFused_, sgdFused_) take a parameter with a tensor updated beside it (its
 * gradient, a moment): float32 on the CPU, dense, one memory order.
 */
export function fusable(param: Tensor, grad: Tensor): boolean {
  if (param.dtype !== "float32" || param.device !== "cpu" || grad.dtype !== "float32" || grad.device !== "cpu") return false;
  if (!param.isContiguous() && !param.isContiguous("channelsLast")) return false;
  // One memory order: equal strides wherever the size is above 1 (a size-1 dimension's stride is arbitrary).
  const a = param.stride(), b = grad.stride(), shape = param.shape, other = grad.shape;
  return shape.length === other.length && shape.every((n, i) => n === other[i] && (n === 1 || a[i] === b[i]));
}

/**
 * One fused Adam/AdamW step over the lists (torch.optim's fused=True; native/src/optim.cc): one pass per
 * element instead of the foreach step's eight, equal to it to float32 rounding. Only for fusable
 * parameters, whose moments share their layout (zerosLike keeps it).
 */
export function adamFused_(params: readonly Tensor[], grads: readonly Tensor[], expAvg: readonly Tensor[],
  expAvgSq: readonly Tensor[], h: FusedAdamStep): void {
  N.adamFused_(handles(params), handles(grads), handles(expAvg), handles(expAvgSq), h.lr, h.beta1, h.beta2, h.eps,
    h.weightDecay, h.step, h.decoupled);
}

/** SGD's hyperparameters for sgdFused_; `firstStep`: the momentum buffers are new and take the update itself. */
export interface FusedSgdStep {
  lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; firstStep: boolean;
}

/**
 * One fused SGD step over the lists (native/src/optim.cc): one pass per element instead of the foreach
 * step's eleven, equal to it to float32 rounding. Only for fusable parameters; `momentumBuffers` share
 * their layout (zerosLike keeps it) and are empty without momentum.
 */
export function sgdFused_(params: readonly Tensor[], grads: readonly Tensor[], momentumBuffers: readonly Tensor[],
  h: FusedSgdStep): void {
  N.sgdFused_(handles(params), handles(grads), handles(momentumBuffers), h.lr, h.momentum, h.dampening, h.weightDecay,
    h.nesterov, h.firstStep);
}
