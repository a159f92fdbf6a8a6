// scoreCases on synthetic volumes against scripts/fixtures/metrics.py (NumPy + SciPy, MedPy
// definitions): pooled scores, per-case Dice/HD95/ASSD/volumes, empty structures, clinical indices.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ScoreAccumulator, scoreCases, type Phase } from "../../src/eval/score.js";
import { assertMatchesReference, labelVolume, paint, readFixture, type ExpectedReport, type Shape } from "./helpers.js";

interface Recipe { id: string; phase: Phase | null; dims: number[]; spacing: number[]; truth: Shape[]; pred: Shape[] }
const fixture = readFixture<{ classes: string[]; recipes: Recipe[]; expected: ExpectedReport }>("synthetic.json");

function cases(): { id: string; phase: Phase | null; pred: ReturnType<typeof labelVolume>; truth: ReturnType<typeof labelVolume> }[] {
  return fixture.recipes.map((r) => ({
    id: r.id, phase: r.phase,
    pred: labelVolume(paint(r.dims, r.pred), r.dims, r.spacing),
    truth: labelVolume(paint(r.dims, r.truth), r.dims, r.spacing),
  }));
}

test("synthetic cases reproduce the NumPy/SciPy reference", () => {
  const report = scoreCases(cases(), fixture.classes);
  assertMatchesReference(report, fixture.expected);
});

test("empty structures: both empty -> Dice 1 and distance 0; one empty -> Dice 0, null distances counted", () => {
  const report = scoreCases(cases(), fixture.classes);
  const both = report.cases.find((c) => c.id === "bothempty");
  assert.deepEqual([both?.dice.RV, both?.hd95_mm.RV, both?.assd_mm.RV], [1, 0, 0]);
  const one = report.cases.find((c) => c.id === "norv");
  assert.deepEqual([one?.dice.RV, one?.hd95_mm.RV, one?.assd_mm.RV], [0, null, null]);
  assert.equal(report.summary.all.RV.n_distance_undefined, 1);
  assert.equal(report.summary.all.MYO.n_distance_undefined, 0);
  assert.equal(report.summary.ED.LV.n, 3);
  const json = JSON.parse(JSON.stringify(report)) as typeof report;
  assert.equal(json.cases.find((c) => c.id === "norv")?.hd95_mm.RV, null);
});

test("bad cases are refused with the case named, and leave the totals untouched", () => {
  const acc = new ScoreAccumulator(fixture.classes);
  const [a] = cases();
  const shifted = { ...a, id: "moved", truth: { ...a.truth, affine: a.truth.affine.map((v, i) => (i === 3 ? v + 5 : v)) } };
  assert.throws(() => acc.addCase(shifted), /case moved: prediction vs truth: geometry differs/);
  const small = { ...a, id: "small", truth: labelVolume(new Uint8Array(8), [2, 2, 2], [1, 1, 1]) };
  assert.throws(() => acc.addCase(small), /case small: prediction vs truth: shapes differ/);
  const badLabel = { ...a, id: "bad", pred: { ...a.pred, data: a.pred.data.map((v) => (v === 3 ? 4 : v)) } };
  assert.throws(() => acc.addCase(badLabel), /case bad: prediction: label 4 at voxel \d+ is outside the class list 0\.\.3/);
  acc.addCase(a);
  assert.throws(() => acc.addCase({ ...a, id: "again", subject: "syn0" }), /subject syn0 already has an ED case/);
  const result = acc.result();
  assert.equal(result.cases.length, 1);
  assert.deepEqual(result.per_class, scoreCases([a], fixture.classes).per_class);
});
