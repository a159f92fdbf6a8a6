// conv2d / conv_transpose2d (stride, padding, dilation, groups) and their gradients vs PyTorch.
import { test } from "node:test";
import { tidy } from "../../src/tensor/index.js";
import * as F from "../../src/tensor/functional.js";
import { assertClose, loadCases, tensorOf, type Encoded } from "./fixtures.js";

interface ConvCase {
  name: string; transpose?: boolean;
  opts: { stride: number; padding: number; dilation: number; groups: number; output_padding?: number };
  x: Encoded; w: Encoded; b: Encoded; out: Encoded; g: Encoded; grad_x: Encoded; grad_w: Encoded; grad_b: Encoded;
}

for (const c of loadCases<ConvCase>("conv2d")) {
  test(`conv2d ${c.name}: output and gradients match PyTorch`, () => {
    tidy(() => {
      const x = tensorOf(c.x, true);
      const w = tensorOf(c.w, true);
      const b = tensorOf(c.b, true);
      const { stride, padding, dilation, groups } = c.opts;
      const out = c.transpose
        ? F.convTranspose2d(x, w, b, { stride, padding, dilation, groups, outputPadding: c.opts.output_padding ?? 0 })
        : F.conv2d(x, w, b, { stride, padding, dilation, groups });
      assertClose(out, c.out, "out");
      out.mul(tensorOf(c.g)).sum().backward();
      assertClose(x.grad, c.grad_x, "grad x");
      assertClose(w.grad, c.grad_w, "grad w");
      assertClose(b.grad, c.grad_b, "grad b");
    });
  });
}
