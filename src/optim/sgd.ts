// sgd.ts owns stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay,
// following torch.optim.SGD's update rule exactly.
import { foreach, zerosLike, type Tensor } from "../tensor/index.js";
import { Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export type SGDHyper = { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean };

export class SGD extends Optimizer<SGDHyper> {
  /** Group steps by the fused kernel where the parameters allow it (torch's fused=True); false = foreach. */
  fused = true;

  constructor(params: ParamsInput<SGDHyper>, options: Partial<SGDHyper> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  protected validate(h: SGDHyper): void {
    if (!(h.lr >= 0)) throw new Error(`SGD: invalid learning rate ${h.lr}`);
    if (!(h.momentum >= 0)) throw new Error(`SGD: invalid momentum ${h.momentum}`);
    if (!(h.weightDecay >= 0)) throw new Error(`SGD: invalid weight decay ${h.weightDecay}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error("SGD: Nesterov momentum requires a momentum and zero dampening");
    }
  }

  // d = g + wd·p; buf = momentum·buf + (1 - dampening)·d (buf = d on the first step);
  // d = nesterov ? d + momentum·buf : buf; p -= lr·d.
  protected update(p: Tensor, grad: Tensor, group: ParamGroup<SGDHyper>, state: ParamState): void {
    state.step += 1;
    let d = group.weightDecay !== 0 ? grad.add(p, group.weightDecay) : grad;
    if (group.momentum !== 0) {
      let buf = state.tensors["momentum_buffer"];
      if (!buf) buf = this.keepState(state, "momentum_buffer", d.clone());
      else buf.mul_(group.momentum).add_(d, 1 - group.dampening);
      d = group.nesterov ? d.add(buf, group.momentum) : buf;
    }
    p.add_(d, -group.lr);
  }

  // The same update with multi-tensor ops where lists apply (momentum buffers, the step).
  protected override updateGroup(group: ParamGroup<SGDHyper>): boolean {
    const g = this.gatherGroup(group);
    if (!g || g.params.length === 0) return g !== null;
    const bufs: Array<Tensor | undefined> = g.states.map((s) => s.tensors["momentum_buffer"]);
    const fresh = !bufs.some((b) => b !== undefined);
    if (group.momentum !== 0 && !fresh && bufs.some((b) => b === undefined)) return false;
    if (this.fused && this.fusedGroup(g.params, g.grads, g.states, bufs, fresh, group)) return true;
    for (const s of g.states) s.step += 1;
    let d = group.weightDecay !== 0 ? g.grads.map((x, i) => x.add(g.params[i], group.weightDecay)) : g.grads;
    if (group.momentum !== 0) {
      if (fresh) {
        g.states.forEach((s, i) => { bufs[i] = this.keepState(s, "momentum_buffer", d[i].clone()); });
      } else {
        foreach.mul_(bufs as Tensor[], group.momentum);
        foreach.add_(bufs as Tensor[], d, 1 - group.dampening);
      }
      const b = bufs as Tensor[];
      d = group.nesterov ? d.map((x, i) => x.add(b[i], group.momentum)) : b;
    }
    foreach.add_(g.params, d, -group.lr);
    return true;
  }

  /** The fused step (one pass per element, foreach.sgdFused_) when every parameter allows it; false otherwise. */
  private fusedGroup(params: Tensor[], grads: Tensor[], states: ParamState[], bufs: Array<Tensor | undefined>,
    firstStep: boolean, group: ParamGroup<SGDHyper>): boolean {
    if (!params.every((p, i) => foreach.fusable(p, grads[i]))) return false;
    if (bufs.some((b, i) => b !== undefined && !foreach.fusable(params[i], b))) return false;
    const momentumBuffers = group.momentum === 0 ? []
      : states.map((s, i) => bufs[i] ?? this.keepState(s, "momentum_buffer", zerosLike(params[i])));
    for (const s of states) s.step += 1;
    foreach.sgdFused_(params, grads, momentumBuffers, {
      lr: group.lr, momentum: group.momentum, dampening: group.dampening, weightDecay: group.weightDecay,
      nesterov: group.nesterov, firstStep,
    });
    return true;
  }
}
