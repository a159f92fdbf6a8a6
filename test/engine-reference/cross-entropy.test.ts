// cross_entropy with class weights, ignore_index, label smoothing and each reduction, on
// segmentation-shaped [N, C, H, W] and classification [N, C] inputs — loss and gradient vs PyTorch.
import { test } from "node:test";
import { tidy } from "../../src/tensor/index.js";
import * as F from "../../src/tensor/functional.js";
import { assertClose, loadCases, tensorOf, type Encoded } from "./fixtures.js";

interface CeCase {
  name: string;
  opts: { ignoreIndex: number; reduction: "mean" | "sum" | "none"; labelSmoothing: number; weighted: boolean };
  logits: Encoded; target: Encoded; weight: Encoded | null; loss: Encoded; g: Encoded; grad_logits: Encoded;
}

for (const c of loadCases<CeCase>("cross_entropy")) {
  test(`cross_entropy ${c.name}: loss and gradient match PyTorch`, () => {
    tidy(() => {
      const logits = tensorOf(c.logits, true);
      const weight = c.opts.weighted && c.weight ? tensorOf(c.weight) : undefined;
      const loss = F.crossEntropy(logits, tensorOf(c.target), {
        weight, ignoreIndex: c.opts.ignoreIndex, reduction: c.opts.reduction, labelSmoothing: c.opts.labelSmoothing,
      });
      assertClose(loss, c.loss, "loss");
      loss.mul(tensorOf(c.g)).sum().backward();
      assertClose(logits.grad, c.grad_logits, "grad logits");
    });
  });
}
