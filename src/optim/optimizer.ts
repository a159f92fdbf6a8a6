// src/optim — optimisers over src/tensor parameters, shaped like torch.optim: parameter groups with
// their own hyperparameters, step(), zeroGrad(), and a state dict that round-trips through safetensors.
// optimizer.ts owns the shared machinery: groups, per-parameter state, the no-grad + tidy step
// scope, and stateDict()/loadStateDict().
import { noGrad, tidy, zerosLike, type Tensor } from "../tensor/index.js";

export type HyperValue = number | boolean | number[];
export type Hyper = Record<string, HyperValue>;

/** One parameter group: its tensors plus its hyperparameters (writable, e.g. `group.lr = …`). */
export type ParamGroup<H extends Hyper> = { params: Tensor[] } & H;

/** What constructors accept: a list of tensors, or groups overriding some hyperparameters. */
export type ParamsInput<H extends Hyper> = Iterable<Tensor> | Array<{ params: Iterable<Tensor> } & Partial<H>>;

/** Per-parameter optimiser state: a step counter and named tensors (PyTorch's names, e.g. exp_avg). */
export interface ParamState { step: number; tensors: Record<string, Tensor> }

/**
 * A serialisable optimiser state: tensors keyed `state.<param index>.<name>` (PyTorch's names)
 * and JSON-able metadata (optimiser type, groups with their hyperparameters and parameter
 * indices, step counters). Save it with saveSafetensors(path, sd.tensors, { optimizer: JSON.stringify(sd.meta) }).
 */
export interface OptimizerStateDict {
  tensors: Map<string, Tensor>;
  meta: OptimizerMeta;
}

export interface OptimizerMeta {
  type: string;
  paramGroups: Array<Hyper & { params: number[] }>;
  steps: Record<string, number>;
}

export abstract class Optimizer<H extends Hyper> {
  readonly paramGroups: Array<ParamGroup<H>> = [];
  readonly state = new Map<Tensor, ParamState>();

  protected constructor(params: ParamsInput<H>, readonly defaults: H) {
    const list = [...params] as Array<Tensor | ({ params: Iterable<Tensor> } & Partial<H>)>;
    if (list.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const isGroup = (v: unknown): v is { params: Iterable<Tensor> } & Partial<H> =>
      typeof v === "object" && v !== null && "params" in v && !("shape" in v);
    if (list.every(isGroup)) for (const g of list) this.addParamGroup(g);
    else if (list.every((v) => !isGroup(v))) this.addParamGroup({ params: list as Tensor[] } as unknown as { params: Iterable<Tensor> } & Partial<H>);
    else throw new Error(`${this.constructor.name}: pass either tensors or parameter groups, not a mix`);
  }

  addParamGroup(group: { params: Iterable<Tensor> } & Partial<H>): void {
    const params = [...group.params];
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p)) || new Set(params).size !== params.length) {
      throw new Error(`${this.constructor.name}: some parameters appear in more than one parameter group`);
    }
    const merged = { ...this.defaults } as Hyper;
    for (const [k, v] of Object.entries(group)) if (k !== "params" && v !== undefined) merged[k] = v as HyperValue;
    this.validate(merged as H);
    this.paramGroups.push({ ...(merged as H), params });
  }

  /** Checks hyperparameters; throws a clear Error for invalid ones. */
  protected abstract validate(h: H): void;

  /** Update one parameter in place; runs inside noGrad + tidy, so temporaries are freed. */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<H>, state: ParamState): void;

  /**
   * Update each group with multi-tensor ops where the optimiser has them (torch.optim's
   * foreach=True): the same arithmetic, bit for bit, in one addon call per list instead of one per
   * tensor. false = always the per-parameter update().
   */
  foreach = true;

  /** One optimisation step over every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        if (this.foreach && tidy(() => this.updateGroup(group))) continue;
        for (const p of group.params) {
          tidy(() => {
            const grad = p.grad;
            if (!grad) return;
            let state = this.state.get(p);
            if (!state) {
              state = { step: 0, tensors: {} };
              this.state.set(p, state);
            }
            this.update(p, grad, group, state);
          });
        }
      }
    });
  }

  /**
   * Multi-tensor update of a whole group (runs inside noGrad + tidy); false = not handled, use
   * update() per parameter.
   */
  protected updateGroup(_group: ParamGroup<H>): boolean {
    return false;
  }

  /**
   * The group's parameters that have gradients, with their gradients and states (created when
   * new); null when their step counts differ (a multi-tensor update needs one step count).
   */
  protected gatherGroup(group: ParamGroup<H>): { params: Tensor[]; grads: Tensor[]; states: ParamState[] } | null {
    const params: Tensor[] = [], grads: Tensor[] = [], states: ParamState[] = [];
    for (const p of group.params) {
      const grad = p.grad;
      if (!grad) continue;
      let state = this.state.get(p);
      if (!state) {
        state = { step: 0, tensors: {} };
        this.state.set(p, state);
      }
      params.push(p);
      grads.push(grad);
      states.push(state);
    }
    return states.every((s) => s.step === states[0].step) ? { params, grads, states } : null;
  }

  /** Drop the gradients of all parameters (set_to_none, PyTorch's default since 2.0). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /** Store a state tensor created during update() so it survives the step's tidy scope. */
  protected keepState(state: ParamState, name: string, t: Tensor): Tensor {
    state.tensors[name] = t.keep();
    return t;
  }

  stateDict(): OptimizerStateDict {
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    const paramGroups: OptimizerMeta["paramGroups"] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const { params, ...hyper } = group;
      const indices: number[] = [];
      for (const p of params) {
        const st = this.state.get(p);
        if (st) {
          steps[String(index)] = st.step;
          for (const [name, t] of Object.entries(st.tensors)) tensors.set(`state.${index}.${name}`, t);
        }
        indices.push(index++);
      }
      paramGroups.push({ ...(hyper as Hyper), params: indices });
    }
    return { tensors, meta: { type: this.constructor.name, paramGroups, steps } };
  }

  /** Restore hyperparameters and state saved by stateDict() (tensors are copied to each parameter's device). */
  loadStateDict(sd: OptimizerStateDict): void {
    const { meta } = sd;
    if (meta.type !== this.constructor.name) {
      throw new Error(`${this.constructor.name}.loadStateDict: the state was saved by ${meta.type}`);
    }
    if (meta.paramGroups.length !== this.paramGroups.length
      || meta.paramGroups.some((g, i) => g.params.length !== this.paramGroups[i].params.length)) {
      throw new Error(`${this.constructor.name}.loadStateDict: parameter groups do not match (saved sizes ${meta.paramGroups.map((g) => g.params.length).join(",")}, current ${this.paramGroups.map((g) => g.params.length).join(",")})`);
    }
    this.disposeState();
    meta.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi];
      for (const [k, v] of Object.entries(saved)) if (k !== "params") Reflect.set(group, k, v);
      saved.params.forEach((index, pi) => this.restoreParamState(sd, index, group.params[pi]));
    });
  }

  private restoreParamState(sd: OptimizerStateDict, index: number, p: Tensor): void {
    const step = sd.meta.steps[String(index)];
    if (step === undefined) return;
    const prefix = `state.${index}.`;
    const tensors: Record<string, Tensor> = {};
    for (const [key, t] of sd.tensors) {
      if (!key.startsWith(prefix)) continue;
      if (t.shape.join(",") !== p.shape.join(",")) {
        throw new Error(`${this.constructor.name}.loadStateDict: ${key} has shape [${t.shape.join(", ")}] but the parameter has [${p.shape.join(", ")}]`);
      }
      // In the parameter's own layout (channels-last weights), as a fresh run creates its state (zerosLike):
      // the fused Adam step needs one memory order, and a resumed run must step as the uninterrupted one.
      tensors[key.slice(prefix.length)] = tidy(() => noGrad(() => zerosLike(p).copy_(t.to({ dtype: p.dtype, device: p.device })))).keep();
    }
    this.state.set(p, { step, tensors });
  }

  /** Free every state tensor (e.g. before discarding the optimiser). */
  disposeState(): void {
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) if (!t.isDisposed) t.dispose();
    this.state.clear();
  }
}
