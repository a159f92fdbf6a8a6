// Deterministic freeing of native memory: tidy() scopes (like tf.tidy) that dispose every Tensor
// created inside them except what the callback returns or what was kept with .keep().
// Scopes are per thread (module state), so each worker_thread has its own stack.

/** Marks objects a scope can track (Tensor sets it). */
export const kScoped: unique symbol = Symbol("cardioseg.scoped");

export interface Scoped {
  readonly [kScoped]: true;
  readonly _kept: boolean;
  dispose(): void;
}

const scopes: Scoped[][] = [];

/** Called by every new Tensor: records it in the innermost tidy scope, if any. */
export function track(t: Scoped): void {
  const top = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  if (top !== undefined) top.push(t);
}

function isScoped(v: unknown): v is Scoped {
  return typeof v === "object" && v !== null && kScoped in v;
}

/** Every tracked object reachable from `value` through arrays, Maps and plain objects. */
function collect(value: unknown, out: Set<Scoped>, seen: Set<unknown>): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  if (isScoped(value)) {
    out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}

function isThenable(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/**
 * Runs `fn` and disposes every Tensor created during it, except those in its result (a Tensor, or
 * arrays / Maps / plain objects holding Tensors), which move to the enclosing scope, and those kept
 * with `.keep()`. `fn` must be synchronous. On a throw, everything created inside is disposed.
 */
export function tidy<T>(fn: () => T): T {
  const mine: Scoped[] = [];
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of mine) if (!t._kept) t.dispose();
    throw err;
  }
  scopes.pop();
  if (isThenable(result)) {
    for (const t of mine) if (!t._kept) t.dispose();
    throw new Error("tidy: the callback returned a Promise; tidy scopes must be synchronous (await outside, tidy inside)");
  }
  const returned = new Set<Scoped>();
  collect(result, returned, new Set());
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  for (const t of mine) {
    if (t._kept) continue;
    if (returned.has(t)) parent?.push(t);
    else t.dispose();
  }
  return result;
}

/** Disposes every Tensor found in the arguments (Tensors, arrays, Maps, plain objects). */
export function disposeAll(...values: unknown[]): void {
  const found = new Set<Scoped>();
  collect(values, found, new Set());
  for (const t of found) t.dispose();
}
