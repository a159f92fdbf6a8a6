// batch_norm in training (batch statistics + running-stat update) and eval, nn.BatchNorm2d's
// running statistics over two steps, and group_norm — values and gradients vs PyTorch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tidy } from "../../src/tensor/index.js";
import * as F from "../../src/tensor/functional.js";
import * as nn from "../../src/nn/index.js";
import { assertClose, loadCases, tensorOf, type Encoded } from "./fixtures.js";

interface BnCase {
  name: string; training?: boolean; momentum?: number; eps?: number; groups?: number;
  x: Encoded; weight: Encoded; bias: Encoded; running_mean: Encoded; running_var: Encoded;
  out: Encoded; running_mean_after: Encoded; running_var_after: Encoded; g: Encoded;
  grad_x: Encoded; grad_weight: Encoded; grad_bias: Encoded;
  xs: Encoded[]; num_batches_tracked: number;
}

const cases = new Map(loadCases<BnCase>("batch_norm").map((c) => [c.name, c]));

for (const name of ["train", "eval"]) {
  const c = cases.get(name) as BnCase;
  test(`batch_norm ${name}: output, running statistics and gradients match PyTorch`, () => {
    tidy(() => {
      const x = tensorOf(c.x, true);
      const w = tensorOf(c.weight, true);
      const b = tensorOf(c.bias, true);
      const rm = tensorOf(c.running_mean);
      const rv = tensorOf(c.running_var);
      const out = F.batchNorm(x, rm, rv, w, b, { training: c.training ?? false, momentum: c.momentum, eps: c.eps });
      assertClose(out, c.out, "out");
      assertClose(rm, c.running_mean_after, "running_mean");
      assertClose(rv, c.running_var_after, "running_var");
      out.mul(tensorOf(c.g)).sum().backward();
      assertClose(x.grad, c.grad_x, "grad x");
      assertClose(w.grad, c.grad_weight, "grad weight");
      assertClose(b.grad, c.grad_bias, "grad bias");
    });
  });
}

test("nn.BatchNorm2d: two training steps update running stats and num_batches_tracked like PyTorch", () => {
  const c = cases.get("module_two_steps") as BnCase;
  const bn = new nn.BatchNorm2d(3);
  for (const xe of c.xs) tidy(() => { bn.forward(tensorOf(xe)); });
  assertClose(bn.runningMean, c.running_mean_after, "running_mean");
  assertClose(bn.runningVar, c.running_var_after, "running_var");
  assert.equal(bn.numBatchesTracked?.item(), c.num_batches_tracked);
  // eval mode must not touch the running statistics
  bn.eval();
  tidy(() => { bn.forward(tensorOf(c.xs[0])); });
  assertClose(bn.runningMean, c.running_mean_after, "running_mean after eval forward");
  assert.equal(bn.numBatchesTracked?.item(), c.num_batches_tracked);
  bn.dispose();
});

test("group_norm: output and gradients match PyTorch", () => {
  const c = cases.get("group_norm") as BnCase;
  tidy(() => {
    const x = tensorOf(c.x, true);
    const w = tensorOf(c.weight, true);
    const b = tensorOf(c.bias, true);
    const out = F.groupNorm(x, c.groups ?? 1, w, b, 1e-5);
    assertClose(out, c.out, "out");
    out.mul(tensorOf(c.g)).sum().backward();
    assertClose(x.grad, c.grad_x, "grad x");
    assertClose(w.grad, c.grad_weight, "grad weight");
    assertClose(b.grad, c.grad_bias, "grad bias");
  });
});
