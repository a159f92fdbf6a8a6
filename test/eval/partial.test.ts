// Partially annotated truth (UNANNOTATED = 255, e.g. Sunnybrook slices without an o-contour) and
// scoring a subset of the structures (--structures MYO,LV): hand-computed 4x4 cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ScoreAccumulator, scoreCases } from "../../src/eval/score.js";
import { formatScoreReport } from "../../src/eval/format.js";
import { labelVolume } from "./helpers.js";

const U = 255;
const vol = (rows: number[][]): ReturnType<typeof labelVolume> => labelVolume(Uint8Array.from(rows.flat()), [4, 4, 1], [1, 1, 1]);

// A: i-contour only. The LV cavity is drawn (4 px); everything else may be background or myocardium.
const truthA = vol([[U, U, U, U], [U, 3, 3, U], [U, 3, 3, U], [U, U, U, U]]);
// Prediction: 3 of 4 cavity pixels, myocardium all round (not scorable here), one LV pixel outside the cavity.
const predA = vol([[0, 2, 2, 0], [2, 3, 3, 2], [2, 3, 0, 2], [0, 2, 2, 3]]);
// B: both contours drawn; the prediction adds one myocardium pixel and one RV pixel in the background.
const truthB = vol([[0, 2, 2, 0], [2, 3, 3, 2], [2, 3, 3, 2], [0, 2, 2, 0]]);
const predB = vol([[2, 2, 2, 0], [2, 3, 3, 2], [2, 3, 3, 2], [1, 2, 2, 0]]);

const CLASSES = ["background", "RV", "MYO", "LV"];

test("a structure not drawn on a case is not scored there; a drawn one predicted in the unknown area is a false positive", () => {
  const r = scoreCases([{ id: "A", phase: null, pred: predA, truth: truthA }, { id: "B", phase: null, pred: predB, truth: truthB }], CLASSES, { structures: ["MYO", "LV"] });
  assert.deepEqual(r.classes, ["background", "MYO", "LV"]);
  const [a, b] = r.cases;
  // A: LV 4 truth, 4 predicted (3 inside + 1 outside the cavity), 3 shared -> 6/8.
  assert.equal(a.dice.LV, 0.75);
  assert.equal(a.dice.MYO, null);
  assert.equal(a.hd95_mm.MYO, null);
  assert.equal(a.volume_ml_gt.MYO, null);
  assert.deepEqual(a.unannotated, ["MYO"]);
  // B: MYO 8 truth, 9 predicted, 8 shared -> 16/17; the RV pixel counts as background.
  assert.equal(b.dice.MYO, 16 / 17);
  assert.equal(b.dice.LV, 1);
  assert.equal(b.unannotated, undefined);
  // Pooled: A's myocardium guesses outside its cavity are left out; its outside LV pixel is a false positive.
  assert.equal(r.per_class.MYO.dice, 16 / 17);
  assert.equal(r.per_class.LV.dice, (2 * 7) / (8 + 8));
  assert.deepEqual([r.summary.all.MYO.n, r.summary.all.MYO.n_unannotated, r.summary.all.MYO.dice_mean], [2, 1, 16 / 17]);
  assert.equal(r.summary.all.MYO.n_distance_undefined, 0);
  assert.equal(r.summary.all.LV.dice_mean, (0.75 + 1) / 2);
  assert.match(formatScoreReport(r), /not scored where not annotated \(partial labels\): MYO on 1 case/);
});

test("without a subset every class is scored; RV is not drawn on A, so it is not scored there either", () => {
  const r = scoreCases([{ id: "A", phase: null, pred: predA, truth: truthA }], CLASSES);
  assert.deepEqual(r.cases[0].unannotated, ["RV", "MYO"]);
  assert.equal(r.cases[0].dice.LV, 0.75);
});

test("bad subsets and bad labels are refused", () => {
  assert.throws(() => new ScoreAccumulator(CLASSES, { structures: ["LV", "Aorta"] }), /structure "Aorta" is not one of RV, MYO, LV/);
  const acc = new ScoreAccumulator(CLASSES, { structures: ["MYO", "LV"] });
  const bad = vol([[0, 0, 0, 0], [0, 7, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  assert.throws(() => acc.addCase({ id: "P", phase: null, pred: bad, truth: truthB }), /case P: .*label 7/);
  // A prediction of 255 is not a class, even where the truth is unannotated.
  const predU = vol([[U, 0, 0, 0], [0, 3, 3, 0], [0, 3, 3, 0], [0, 0, 0, 0]]);
  assert.throws(() => acc.addCase({ id: "Q", phase: null, pred: predU, truth: truthA }), /case Q: .*label 255/);
});
