// affine_grid + grid_sample (bilinear/nearest, zeros/border/reflection padding, both corner
// alignments) and the gradients w.r.t. the image and the affine matrix, vs PyTorch.
import { test } from "node:test";
import { tidy } from "../../src/tensor/index.js";
import * as F from "../../src/tensor/functional.js";
import { assertClose, loadCases, tensorOf, type Encoded } from "./fixtures.js";

interface GridCase {
  name: string; mode: "bilinear" | "nearest"; paddingMode: "zeros" | "border" | "reflection"; alignCorners: boolean;
  size: number[]; theta: Encoded; x: Encoded; grid: Encoded; out: Encoded; g: Encoded; grad_x: Encoded; grad_theta: Encoded | null;
}

for (const c of loadCases<GridCase>("grid_sample")) {
  test(`affine_grid + grid_sample ${c.name}: output and gradients match PyTorch`, () => {
    tidy(() => {
      const theta = tensorOf(c.theta, true);
      const x = tensorOf(c.x, true);
      const grid = F.affineGrid(theta, c.size, c.alignCorners);
      assertClose(grid, c.grid, "grid");
      const out = F.gridSample(x, grid, { mode: c.mode, paddingMode: c.paddingMode, alignCorners: c.alignCorners });
      assertClose(out, c.out, "out");
      out.mul(tensorOf(c.g)).sum().backward();
      assertClose(x.grad, c.grad_x, "grad x");
      if (c.grad_theta) assertClose(theta.grad, c.grad_theta, "grad theta");
    });
  });
}
