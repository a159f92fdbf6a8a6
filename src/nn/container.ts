// container.ts owns the module containers: Sequential (a chain of one-tensor layers, children named
// "0", "1", … as in PyTorch) and ModuleList (an indexable list of modules, e.g. ResNet blocks).
import type { Tensor } from "../tensor/index.js";
import { Module, type Layer } from "./module.js";
import { layerToOnnx, type OnnxGraph } from "./onnx.js";

export class Sequential extends Module {
  readonly #layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.#layers = layers;
  }

  protected override ownEntries(): Array<[string, unknown]> {
    // Indexed layers first, then any fields a subclass adds (as PyTorch registers them).
    return [...this.#layers.map((m, i): [string, unknown] => [String(i), m]), ...super.ownEntries()];
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The i-th layer (negative counts from the end, like Python). */
  at(i: number): Layer {
    const layer = this.#layers.at(i);
    if (!layer) throw new Error(`Sequential: index ${i} is out of range for ${this.#layers.length} layers`);
    return layer;
  }

  append(layer: Layer): this {
    this.#layers.push(layer);
    return this;
  }

  /** Puts `layer` at index i and returns the layer it replaces (e.g. a folded BatchNorm, for disposal). */
  replace(i: number, layer: Layer): Layer {
    const old = this.at(i);
    this.#layers[i < 0 ? this.#layers.length + i : i] = layer;
    return old;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  /** Runs the layers in order; intermediate results are freed as soon as the next layer has run. */
  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.#layers) {
      const next = layer.forward(out);
      if (out !== x && next !== out) out.dispose();
      out = next;
    }
    return out;
  }

  /** The layers' ONNX nodes in order. */
  toOnnx(g: OnnxGraph, x: string): string {
    let out = x;
    for (const layer of this.#layers) out = layerToOnnx(g, layer, out);
    return out;
  }
}

export class ModuleList<T extends Module = Module> extends Module {
  readonly #items: T[];

  constructor(items: Iterable<T> = []) {
    super();
    this.#items = [...items];
  }

  protected override ownEntries(): Array<[string, unknown]> {
    return [...this.#items.map((m, i): [string, unknown] => [String(i), m]), ...super.ownEntries()];
  }

  get length(): number {
    return this.#items.length;
  }

  at(i: number): T {
    const item = this.#items.at(i);
    if (!item) throw new Error(`ModuleList: index ${i} is out of range for ${this.#items.length} modules`);
    return item;
  }

  push(...items: T[]): this {
    this.#items.push(...items);
    return this;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.#items[Symbol.iterator]();
  }

  map<U>(fn: (m: T, i: number) => U): U[] {
    return this.#items.map(fn);
  }
}
