// module.ts owns Module, the base of every layer and model (torch.nn.Module's counterpart).
//
// Children, parameters and buffers are discovered from the module's own fields, in field order
// (declared fields first, in declaration order, as ES2022 class fields define them):
//   - a field holding a Module is a child;
//   - a field holding a tensor marked with Parameter() is a parameter;
//   - a field registered with registerBuffer() is a buffer (running statistics and the like).
// Field names are camelCase in TypeScript; their state-dict keys are the snake_case spelling PyTorch
// uses (runningMean -> running_mean, numBatchesTracked -> num_batches_tracked, layer1 -> layer1),
// so `stateDict()` keys equal torchvision's and checkpoints map one-to-one.
//
// Memory: parameters and buffers are long-lived (kept out of tidy scopes) and owned by the module;
// `dispose()` frees them.
import {
  isDType, isFloatingDType, noGrad, tidy, type DType, type DeviceLike, type MemoryFormat, type Tensor,
} from "../tensor/index.js";
import { isParameter } from "./parameter.js";

export type StateDict = Map<string, Tensor>;
/** memoryFormat applies to 4-d parameters and buffers only, as PyTorch's module.to(memory_format=...). */
export type ToTarget = DType | DeviceLike | { dtype?: DType; device?: DeviceLike; memoryFormat?: MemoryFormat };

/** A module whose forward maps one tensor to one tensor (what Sequential chains). */
export type Layer = Module & { forward(x: Tensor): Tensor };

export interface LoadResult { missingKeys: string[]; unexpectedKeys: string[] }

/** runningMean -> running_mean; names without capitals pass through unchanged. */
export function snakeCase(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

export abstract class Module {
  /** train() / eval() mode; layers such as BatchNorm2d and Dropout read it in forward. */
  training = true;
  // Field name -> persistent? (non-persistent buffers stay out of the state dict, as in PyTorch).
  readonly #buffers = new Map<string, boolean>();

  /** Register `tensor` as buffer `field` (a camelCase field name) and return it for assignment. */
  protected registerBuffer<T extends Tensor | null>(field: string, tensor: T, persistent = true): T {
    tensor?.keep();
    this.#buffers.set(field, persistent);
    Reflect.set(this, field, tensor);
    return tensor;
  }

  /** [field, value] pairs inspected for children/parameters/buffers; containers override it. */
  protected ownEntries(): Array<[string, unknown]> {
    return Object.entries(this);
  }

  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const [field, value] of this.ownEntries()) {
      if (value instanceof Module) out.push([snakeCase(field), value]);
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, pre-order, each once (PyTorch's named_modules). */
  namedModules(prefix = "", seen = new Set<Module>()): Array<[string, Module]> {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    }
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** This module's own parameters (not its children's), keyed by state-dict name. */
  ownParameters(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [field, value] of this.ownEntries()) {
      if (isParameter(value)) out.push([snakeCase(field), value]);
    }
    return out;
  }

  /** This module's own buffers; `persistentOnly` keeps those that belong in the state dict. */
  ownBuffers(persistentOnly = false): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [field, persistent] of this.#buffers) {
      const value = Reflect.get(this, field) as Tensor | null;
      if (value && (persistent || !persistentOnly)) out.push([snakeCase(field), value]);
    }
    return out;
  }

  /** Every parameter with its dotted name, each tensor once (shared weights appear under their first name). */
  namedParameters(): Array<[string, Tensor]> {
    return this.collect((m) => m.ownParameters());
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): Array<[string, Tensor]> {
    return this.collect((m) => m.ownBuffers());
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  private collect(pick: (m: Module) => Array<[string, Tensor]>): Array<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const out: Array<[string, Tensor]> = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of pick(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /**
   * Parameters and persistent buffers under PyTorch's state_dict keys, in PyTorch's order. The
   * tensors are the module's own (not copies): read or save them, never dispose them.
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of [...m.ownParameters(), ...m.ownBuffers(true)]) {
        out.set(prefix ? `${prefix}.${name}` : name, t);
      }
    }
    return out;
  }

  /**
   * Copy values from `stateDict` into this module's parameters and buffers (in place, so
   * optimisers holding the parameters keep working). With `strict` (the default) missing or
   * unexpected keys are an error; a shape mismatch always is.
   */
  loadStateDict(stateDict: StateDict | Record<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    const source = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    if ((options.strict ?? true) && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new Error(`loadStateDict: missing keys [${missingKeys.join(", ")}], unexpected keys [${unexpectedKeys.join(", ")}]`);
    }
    for (const [key, target] of own) {
      const src = source.get(key);
      if (!src) continue;
      if (src.shape.join(",") !== target.shape.join(",")) {
        throw new Error(`loadStateDict: size mismatch for ${key}: checkpoint [${src.shape.join(", ")}], model [${target.shape.join(", ")}]`);
      }
    }
    noGrad(() => tidy(() => {
      for (const [key, target] of own) {
        const src = source.get(key);
        if (src) target.copy_(src);
      }
    }));
    return { missingKeys, unexpectedKeys };
  }

  /** Set training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Freeze (false) or unfreeze (true) every parameter, like requires_grad_. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Call `fn` on every module (pre-order), e.g. for custom weight initialisation. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }

  /**
   * Move/convert parameters and buffers in place (a dtype applies to floating-point tensors only, as
   * in PyTorch). Each parameter and buffer keeps its identity — the Tensor objects an optimiser or a
   * gradient hook holds stay valid — as torch.nn's `param.data = …` does; gradients move with them.
   */
  to(target: ToTarget): this {
    const want = typeof target === "string" ? (isDType(target) ? { dtype: target } : { device: target }) : target;
    for (const m of this.modules()) m.moveOwnTensors(want);
    return this;
  }

  cuda(): this {
    return this.to("cuda");
  }

  cpu(): this {
    return this.to("cpu");
  }

  private moveOwnTensors(want: { dtype?: DType; device?: DeviceLike; memoryFormat?: MemoryFormat }): void {
    for (const [field, value] of this.ownEntries()) {
      const isBuffer = this.#buffers.has(field);
      if (!isParameter(value) && !(isBuffer && value)) continue;
      const t = value as Tensor;
      moveInPlace(t, want);
      const grad = t.grad;
      if (grad) {
        moveInPlace(grad, want);
        grad.dispose(); // a second handle on the same gradient
      }
    }
  }

  /** Drop all parameter gradients (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Number of parameter elements (trainable only when asked). */
  numParameters(trainableOnly = false): number {
    return this.parameters()
      .filter((p) => !trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  /** Free the native memory of every parameter and buffer; the module is unusable afterwards. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) {
      if (!t.isDisposed) t.dispose();
    }
  }

  /** One-line summary of this layer's settings, as in PyTorch's repr (e.g. "3, 8, kernel_size=(3, 3)"). */
  extraRepr(): string {
    return "";
  }

  /** Prints the module tree like PyTorch's repr. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${m.toString().split("\n").join("\n  ")}`);
    return `${head}\n${lines.join("\n")}\n)`;
  }
}

/** Converts `t` to the wanted dtype (floating-point tensors only), device and 4-d memory format, in place. */
function moveInPlace(t: Tensor, want: { dtype?: DType; device?: DeviceLike; memoryFormat?: MemoryFormat }): void {
  const dtype = want.dtype && isFloatingDType(t.dtype) ? want.dtype : t.dtype;
  const device = want.device ?? t.device;
  const format = want.memoryFormat && t.dim() === 4 && !t.isContiguous(want.memoryFormat) ? want.memoryFormat : null;
  if (dtype === t.dtype && sameDevice(device, t.device) && !format) return;
  noGrad(() => tidy(() => {
    const moved = t.to({ dtype, device });
    t.setData_(format ? moved.toMemoryFormat(format) : moved);
  }));
}

function sameDevice(a: DeviceLike, b: DeviceLike): boolean {
  const norm = (d: DeviceLike): string => (d === "cuda" ? "cuda:0" : d);
  return norm(a) === norm(b);
}
