// test/engine-reference — the engine checked against PyTorch 1.13: values recorded once by
// scripts/fixtures/engine.py into test/fixtures/engine/*.json (no Python needed to run the tests).
// fixtures.ts loads those files and compares tensors with them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromTypedArray, type Tensor } from "../../src/tensor/index.js";

/** A tensor as the fixture script stores it. */
export interface Encoded { shape: number[]; dtype: "float32" | "int64"; data: number[] }

// dist/test/engine-reference/x.js -> <root>/test/fixtures/engine
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "fixtures", "engine");

export function loadCases<T>(name: string): T[] {
  const file = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as { cases: T[] };
  return file.cases;
}

/** The fixture tensor as a cardioseg tensor (a leaf requiring grad when asked). */
export function tensorOf(e: Encoded, requiresGrad = false): Tensor {
  const t = e.dtype === "int64"
    ? fromTypedArray(BigInt64Array.from(e.data.map((v) => BigInt(v))), e.shape)
    : fromTypedArray(Float32Array.from(e.data), e.shape);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * Assert `actual` equals the PyTorch reference within 1e-5 (relative to the magnitude for values
 * above 1, since float32 sums of larger numbers carry proportionally larger rounding).
 */
export function assertClose(actual: Tensor | null, expected: Encoded, what: string, tol = 1e-5): void {
  assert.ok(actual, `${what}: no tensor (expected shape [${expected.shape.join(", ")}])`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const got = actual.toFloat32Array();
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < got.length; i++) {
    // Fixture values are float32s written in their shortest decimal form: fround restores them.
    const want = Math.fround(expected.data[i]);
    const err = Math.abs(got[i] - want) / Math.max(1, Math.abs(want));
    if (Number.isNaN(err)) assert.fail(`${what}: element ${i} is ${got[i]}, PyTorch has ${expected.data[i]}`);
    if (err > worst) { worst = err; worstAt = i; }
  }
  assert.ok(worst <= tol, `${what}: element ${worstAt} is ${got[worstAt]}, PyTorch has ${expected.data[worstAt]} (error ${worst})`);
}
