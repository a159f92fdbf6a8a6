// src/nn — neural-network building blocks on top of src/tensor, shaped like torch.nn: Module with
// parameters, buffers and children discovered from fields, the layers DeepLab needs, and nn.init.
// parameter.ts owns what makes a Tensor a Parameter. A Parameter is an ordinary Tensor that has been
// marked (not a subclass), so every tensor op and the optimisers accept it unchanged; the mark is
// what Module uses to tell trainable weights from plain tensor fields.
import type { Tensor } from "../tensor/index.js";

const marked = new WeakSet<Tensor>();

/**
 * Mark `data` as a Parameter (like `torch.nn.Parameter(data)`): it requires grad (unless told
 * otherwise) and is kept out of any enclosing tidy scope, because parameters live as long as their
 * module. Returns the same tensor.
 */
export function Parameter(data: Tensor, requiresGrad = true): Tensor {
  data.keep();
  if (data.requiresGrad !== requiresGrad) data.requiresGrad = requiresGrad;
  marked.add(data);
  return data;
}

/** True when `value` is a tensor marked with Parameter(). */
export function isParameter(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && marked.has(value as Tensor);
}
