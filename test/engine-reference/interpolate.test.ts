// interpolate: bilinear with align_corners true/false (up, down, scale factor) and nearest, vs PyTorch.
import { test } from "node:test";
import { tidy } from "../../src/tensor/index.js";
import * as F from "../../src/tensor/functional.js";
import { assertClose, loadCases, tensorOf, type Encoded } from "./fixtures.js";

interface InterpCase {
  name: string;
  opts: { mode: "bilinear" | "nearest"; size?: [number, number]; scaleFactor?: number; alignCorners?: boolean };
  x: Encoded; out: Encoded; g: Encoded; grad_x: Encoded;
}

for (const c of loadCases<InterpCase>("interpolate")) {
  test(`interpolate ${c.name}: output and gradient match PyTorch`, () => {
    tidy(() => {
      const x = tensorOf(c.x, true);
      const out = F.interpolate(x, c.opts);
      assertClose(out, c.out, "out");
      out.mul(tensorOf(c.g)).sum().backward();
      assertClose(x.grad, c.grad_x, "grad x");
    });
  });
}
