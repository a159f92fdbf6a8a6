// adam.ts owns Adam (L2 weight decay added to the gradient, optional AMSGrad) and AdamW (decoupled
// weight decay), following torch.optim's single-tensor update rules; group steps run fused (one pass per
// element, native/src/optim.cc) where the parameters allow it, else as foreach multi-tensor ops.
import { foreach, zerosLike, type Tensor } from "../tensor/index.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export type AdamHyper = { lr: number; betas: number[]; eps: number; weightDecay: number; amsgrad: boolean };
export type AdamOptions = Partial<Omit<AdamHyper, "betas">> & { betas?: [number, number] };

function validateAdam(kind: string, h: AdamHyper): void {
  if (!(h.lr >= 0)) throw new Error(`${kind}: invalid learning rate ${h.lr}`);
  if (!(h.eps >= 0)) throw new Error(`${kind}: invalid epsilon ${h.eps}`);
  const [b1, b2] = h.betas;
  if (h.betas.length !== 2 || !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
    throw new Error(`${kind}: invalid betas [${h.betas.join(", ")}] (each must be in [0, 1))`);
  }
  if (!(h.weightDecay >= 0)) throw new Error(`${kind}: invalid weight decay ${h.weightDecay}`);
}

/** The moment updates and parameter step shared by Adam and AdamW (after any weight decay). */
function adamStep(p: Tensor, grad: Tensor, group: ParamGroup<AdamHyper>, state: ParamState, keep: (n: string, t: Tensor) => Tensor): void {
  const [beta1, beta2] = group.betas;
  state.step += 1;
  const expAvg = state.tensors["exp_avg"] ?? keep("exp_avg", zerosLike(p));
  const expAvgSq = state.tensors["exp_avg_sq"] ?? keep("exp_avg_sq", zerosLike(p));
  expAvg.mul_(beta1).add_(grad, 1 - beta1);
  expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
  const biasCorrection1 = 1 - beta1 ** state.step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
  let second = expAvgSq;
  if (group.amsgrad) {
    const maxSq = state.tensors["max_exp_avg_sq"] ?? keep("max_exp_avg_sq", zerosLike(p));
    maxSq.maximum_(expAvgSq);
    second = maxSq;
  }
  const denom = second.sqrt().div_(biasCorrection2Sqrt).add_(group.eps); // in place: one temporary, not three
  p.addcdiv_(expAvg, denom, -group.lr / biasCorrection1);
}

/** The group's moment tensors, created (zeros in each parameter's layout) at its first step. */
function moments(params: Tensor[], states: ParamState[], keep: (s: ParamState, n: string, t: Tensor) => Tensor):
  { expAvg: Tensor[]; expAvgSq: Tensor[] } {
  return {
    expAvg: states.map((s, i) => s.tensors["exp_avg"] ?? keep(s, "exp_avg", zerosLike(params[i]))),
    expAvgSq: states.map((s, i) => s.tensors["exp_avg_sq"] ?? keep(s, "exp_avg_sq", zerosLike(params[i]))),
  };
}

/**
 * The fused step (one pass per element; see foreach.adamFused_) when every parameter allows it; false
 * otherwise, and nothing changed. `decoupled`: AdamW's weight decay; else Adam's L2 term on the gradient.
 */
function fusedAdamGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup<AdamHyper>,
  decoupled: boolean, keep: (s: ParamState, n: string, t: Tensor) => Tensor): boolean {
  if (!params.every((p, i) => foreach.fusable(p, grads[i]))) return false;
  const { expAvg, expAvgSq } = moments(params, states, keep);
  if (!params.every((p, i) => foreach.fusable(p, expAvg[i]) && foreach.fusable(p, expAvgSq[i]))) return false;
  for (const s of states) s.step += 1;
  const [beta1, beta2] = group.betas;
  foreach.adamFused_(params, grads, expAvg, expAvgSq,
    { lr: group.lr, beta1, beta2, eps: group.eps, weightDecay: group.weightDecay, step: states[0].step, decoupled });
  return true;
}

/**
 * adamStep over a whole group with multi-tensor ops (the same operations in the same order, so
 * the same bits); `grads` already carry Adam's L2 term. AMSGrad stays per parameter.
 */
function adamStepGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup<AdamHyper>,
  keep: (s: ParamState, n: string, t: Tensor) => Tensor): void {
  const [beta1, beta2] = group.betas;
  for (const s of states) s.step += 1;
  const step = states[0].step;
  const { expAvg, expAvgSq } = moments(params, states, keep);
  foreach.mul_(expAvg, beta1);
  foreach.add_(expAvg, grads, 1 - beta1);
  foreach.mul_(expAvgSq, beta2);
  foreach.addcmul_(expAvgSq, grads, grads, 1 - beta2);
  const denom = foreach.sqrt(expAvgSq);
  foreach.div_(denom, Math.sqrt(1 - beta2 ** step));
  foreach.addScalar_(denom, group.eps);
  foreach.addcdiv_(params, expAvg, denom, -group.lr / (1 - beta1 ** step));
}

export class Adam extends Optimizer<AdamHyper> {
  /** Group steps by the fused kernel where the parameters allow it (torch's fused=True); false = foreach. */
  fused = true;

  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options });
  }

  protected validate(h: AdamHyper): void {
    validateAdam("Adam", h);
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdamHyper>, state: ParamState): void {
    const g = group.weightDecay !== 0 ? grad.add(p, group.weightDecay) : grad;
    adamStep(p, g, group, state, (n, t) => this.keepState(state, n, t));
  }

  protected override updateGroup(group: ParamGroup<AdamHyper>): boolean {
    const g = group.amsgrad ? null : this.gatherGroup(group);
    if (!g || g.params.length === 0) return g !== null;
    const keep = (s: ParamState, n: string, t: Tensor): Tensor => this.keepState(s, n, t);
    if (this.fused && fusedAdamGroup(g.params, g.grads, g.states, group, false, keep)) return true;
    const grads = group.weightDecay !== 0 ? g.grads.map((d, i) => d.add(g.params[i], group.weightDecay)) : g.grads;
    adamStepGroup(g.params, grads, g.states, group, keep);
    return true;
  }
}

export class AdamW extends Optimizer<AdamHyper> {
  /** Group steps by the fused kernel where the parameters allow it (torch's fused=True); false = foreach. */
  fused = true;

  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, ...options });
  }

  protected validate(h: AdamHyper): void {
    validateAdam("AdamW", h);
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdamHyper>, state: ParamState): void {
    if (group.weightDecay !== 0) p.mul_(1 - group.lr * group.weightDecay);
    adamStep(p, grad, group, state, (n, t) => this.keepState(state, n, t));
  }

  protected override updateGroup(group: ParamGroup<AdamHyper>): boolean {
    const g = group.amsgrad ? null : this.gatherGroup(group);
    if (!g || g.params.length === 0) return g !== null;
    const keep = (s: ParamState, n: string, t: Tensor): Tensor => this.keepState(s, n, t);
    if (this.fused && fusedAdamGroup(g.params, g.grads, g.states, group, true, keep)) return true;
    if (group.weightDecay !== 0) foreach.mul_(g.params, 1 - group.lr * group.weightDecay);
    adamStepGroup(g.params, g.grads, g.states, group, keep);
    return true;
  }
}
