// Confusion matrix and deeplab-pytorch scores against hand-computed values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfusionMatrix, summaryScores } from "../../src/eval/confusion.js";

const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test("add() counts truth rows against prediction columns", () => {
  const m = new ConfusionMatrix(3);
  m.add(Uint8Array.from([0, 0, 1, 1, 2, 2, 2]), Uint8Array.from([0, 1, 1, 0, 2, 2, 0]));
  assert.deepEqual(Array.from(m.counts), [1, 1, 0, 1, 1, 0, 1, 0, 2]);
  m.add([1], [2]);
  assert.equal(m.at(1, 2), 1);
});

test("add() refuses labels outside the class list and counts nothing", () => {
  const m = new ConfusionMatrix(3);
  assert.throws(() => m.add(Uint8Array.from([0, 1]), Uint8Array.from([0, 3])), /prediction: label 3 at voxel 1 is outside the class list 0\.\.2/);
  assert.throws(() => m.add([0, 1.5], [0, 1]), /truth: label 1.5/);
  assert.throws(() => m.add([0, 1], [0]), /truth has 2 voxels, prediction 1/);
  assert.ok(m.counts.every((c) => c === 0));
});

test("scores of a hand-computed matrix with a class absent on both sides", () => {
  // rows (truth): [6, 5, 0], columns (prediction): [7, 4, 0], diag [5, 3, 0], total 11
  const s = summaryScores(ConfusionMatrix.fromCounts([[5, 1, 0], [2, 3, 0], [0, 0, 0]]));
  near(s.overall_acc, 8 / 11);
  near(s.mean_acc, (5 / 6 + 3 / 5) / 2);
  near(s.per_class[0].iou, 5 / 8);
  near(s.per_class[1].iou, 3 / 6);
  assert.ok(Number.isNaN(s.per_class[2].iou) && Number.isNaN(s.per_class[2].acc) && Number.isNaN(s.per_class[2].dice));
  near(s.mean_iou, (5 / 8 + 1 / 2) / 2);
  near(s.freqw_iou, (6 / 11) * (5 / 8) + (5 / 11) * (1 / 2));
  near(s.per_class[0].dice, 10 / 13);
  near(s.per_class[1].dice, 6 / 9);
  near(s.mean_dice, (10 / 13 + 2 / 3) / 2);
});

test("a class only predicted has IoU 0 and NaN accuracy", () => {
  const s = summaryScores(ConfusionMatrix.fromCounts([[4, 1], [0, 0]]));
  near(s.per_class[1].iou, 0);
  near(s.per_class[1].dice, 0);
  assert.ok(Number.isNaN(s.per_class[1].acc));
  near(s.mean_acc, 4 / 5);
  near(s.mean_iou, (4 / 5 + 0) / 2);
  near(s.freqw_iou, 4 / 5); // only class 0 occurs in the truth
});

test("an empty matrix gives NaN everywhere instead of a number", () => {
  const s = summaryScores(new ConfusionMatrix(2));
  for (const v of [s.overall_acc, s.mean_acc, s.mean_iou, s.freqw_iou, s.mean_dice]) assert.ok(Number.isNaN(v));
});
