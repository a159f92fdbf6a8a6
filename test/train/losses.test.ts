// Segmentation losses against hand-computed values on 2-pixel images.
// Image 1: pixel A logits (0, 0) target 0 -> p = (0.5, 0.5); pixel B logits (ln 3, 0) target 1 -> p = (0.75, 0.25).
// Image 2: both pixels logits (0, 0), target 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tensor, tidy, type Tensor } from "../../src/tensor/index.js";
import { crossEntropyLoss, focalLoss, segmentationLoss, softDiceLoss, defaultLossConfig } from "../../src/train/losses.js";

const LN3 = Math.log(3);
const near = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

/** logits [N,2,1,2] from per-image [[c0 of A, c0 of B], [c1 of A, c1 of B]] */
function logits(images: number[][][]): Tensor {
  return tensor(images.flat(2), { shape: [images.length, 2, 1, 2] });
}
function target(rows: number[][]): Tensor {
  return tensor(rows.flat(), { shape: [rows.length, 1, 2], dtype: "int64" });
}
const one = (): { x: Tensor; y: Tensor } => ({ x: logits([[[0, LN3], [0, 0]]]), y: target([[0, 1]]) });
const two = (): { x: Tensor; y: Tensor } => ({ x: logits([[[0, LN3], [0, 0]], [[0, 0], [0, 0]]]), y: target([[0, 1], [1, 1]]) });

test("cross-entropy: plain, class-weighted, ignore index", () => tidy(() => {
  const { x, y } = one();
  near(crossEntropyLoss(x, y).item(), (Math.LN2 + Math.log(4)) / 2); // 1.0397208
  near(crossEntropyLoss(x, y, { weight: tensor([1, 3]) }).item(), (Math.LN2 + 3 * Math.log(4)) / 4); // 1.2130075
  near(crossEntropyLoss(x, target([[0, 255]]), { ignoreIndex: 255 }).item(), Math.LN2);
}));

test("soft Dice: foreground only, with background, batch vs per-image, smooth", () => tidy(() => {
  const a = one();
  near(softDiceLoss(a.x, a.y, { smooth: 0 }).item(), 1 - 0.5 / 1.75); // class 1: 2*0.25 / (0.75 + 1)
  near(softDiceLoss(a.x, a.y, { smooth: 0, includeBackground: true }).item(), 1 - (1 / 2.25 + 0.5 / 1.75) / 2);
  const b = two();
  near(softDiceLoss(b.x, b.y, { smooth: 0, batchDice: true }).item(), 1 - 2.5 / 4.75);
  near(softDiceLoss(b.x, b.y, { smooth: 0, batchDice: false }).item(), 1 - (0.5 / 1.75 + 2 / 3) / 2);
  near(softDiceLoss(b.x, b.y, { smooth: 1, batchDice: true }).item(), 1 - 3.5 / 5.75);
}));

test("soft Dice ignores pixels with the ignore index", () => tidy(() => {
  // Image 2 with its second pixel ignored: class 1 tp = 0.5, Σp = 0.5, Σy = 1.
  const x = logits([[[0, 0], [0, 0]]]);
  near(softDiceLoss(x, target([[1, 255]]), { smooth: 0, ignoreIndex: 255 }).item(), 1 - 1 / 1.5);
}));

test("focal loss: gamma 2 by hand, gamma 0 equals cross-entropy", () => tidy(() => {
  const { x, y } = one();
  near(focalLoss(x, y, { gamma: 2 }).item(), (0.25 * Math.LN2 + 0.5625 * Math.log(4)) / 2); // 0.476539
  near(focalLoss(x, y, { gamma: 0 }).item(), crossEntropyLoss(x, y).item());
  near(focalLoss(x, y, { gamma: 0, weight: tensor([1, 3]) }).item(), (Math.LN2 + 3 * Math.log(4)) / 4);
}));

test("dice_ce is the sum of its terms and backpropagates", () => tidy(() => {
  const x = logits([[[0, LN3], [0, 0]]]);
  x.requiresGrad = true;
  const y = target([[0, 1]]);
  const cfg = { ...defaultLossConfig, ignoreIndex: 255, diceSmooth: 0 };
  const loss = segmentationLoss(x, y, cfg);
  near(loss.item(), (Math.LN2 + Math.log(4)) / 2 + 1 - 0.5 / 1.75);
  loss.backward();
  const g = x.grad!.toFloat32Array();
  assert.ok(g.every((v) => Number.isFinite(v)) && g.some((v) => v !== 0));
}));
