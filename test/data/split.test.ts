// Tests of patient splits: explicit ranges, "rest", seeded fractions, and that no patient's
// slices ever land on both sides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kFoldAssignment, splitPatients, splitSlices } from "../../src/data/split.js";
import type { SliceProvenance } from "../../src/data/types.js";

const patients = Array.from({ length: 100 }, (_, i) => `patient${String(i + 1).padStart(3, "0")}`);

test("ranges 001-080 / 081-100 split ACDC ids by number", () => {
  const s = splitPatients(patients, { train: "001-080", val: "081-100" });
  assert.equal(s.train.length, 80);
  assert.equal(s.val.length, 20);
  assert.equal(s.val[0], "patient081");
  assert.equal(s.train[79], "patient080");
});

test("lists, single numbers, exact ids and rest", () => {
  const s = splitPatients(patients, { train: "rest", val: ["patient003", "10-12", "99"] });
  assert.deepEqual(s.val, ["patient003", "patient010", "patient011", "patient012", "patient099"]);
  assert.equal(s.train.length, 95);
  assert.ok(!s.train.includes("patient099"));
});

test("a seeded fraction is deterministic, disjoint and complete", () => {
  const a = splitPatients(patients, { valFraction: 0.2, seed: 5 });
  const b = splitPatients(patients, { valFraction: 0.2, seed: 5 });
  const c = splitPatients(patients, { valFraction: 0.2, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.val, c.val);
  assert.equal(a.val.length, 20);
  assert.deepEqual([...a.train, ...a.val].sort(), patients);
});

test("overlap, empty matches and empty sides are refused", () => {
  assert.throws(() => splitPatients(patients, { train: "001-080", val: "080-100" }), /patient080.*both/);
  assert.throws(() => splitPatients(patients, { train: "001-080", val: "200-210" }), /split\.val: "200-210" matches no patient/);
  assert.throws(() => splitPatients(["a"], { valFraction: 0.5, seed: 1 }), /at least 2/);
  assert.throws(() => splitPatients(patients, { valFraction: 1.5, seed: 1 }), /valFraction/);
});

test("slices of one patient never end up on both sides", () => {
  const prov = (patient: string, k: number): { provenance: SliceProvenance } => ({
    provenance: { patient, caseId: `${patient}_frame01`, phase: "ED", sliceIndex: k, spacing: [1, 1], imageFile: "", labelFile: "" },
  });
  const slices = patients.slice(0, 10).flatMap((p) => [0, 1, 2].map((k) => prov(p, k)));
  const split = splitPatients(patients.slice(0, 10), { valFraction: 0.3, seed: 9 });
  const { train, val } = splitSlices(slices, split);
  assert.equal(train.length + val.length, 30);
  const trainPatients = new Set(train.map((s) => s.provenance.patient));
  assert.ok(val.every((s) => !trainPatients.has(s.provenance.patient)));
  assert.equal(val.length, 9);
});

// ACDC's layout of groups: 20 patients each, in blocks of 20 ids here (the real order is mixed).
const GROUPS = ["DCM", "HCM", "MINF", "NOR", "RV"];
const acdcGroups = new Map(patients.map((p, i) => [p, GROUPS[Math.floor(i / 20)]]));

test("k-fold: 5 folds of 100 patients partition them, 4 of each group per fold", () => {
  const vals = [0, 1, 2, 3, 4].map((fold) => splitPatients(patients, { folds: 5, fold, seed: 1, groups: acdcGroups }));
  assert.deepEqual(vals.flatMap((s) => s.val).sort(), patients, "every patient validated exactly once");
  for (const s of vals) {
    assert.equal(s.val.length, 20);
    assert.equal(s.train.length, 80);
    assert.ok(s.val.every((p) => !s.train.includes(p)));
    for (const g of GROUPS) assert.equal(s.val.filter((p) => acdcGroups.get(p) === g).length, 4, `group ${g}`);
  }
});

test("k-fold is deterministic from its seed and independent of the input order", () => {
  const a = kFoldAssignment(patients, { folds: 5, seed: 1, groups: acdcGroups });
  const b = kFoldAssignment([...patients].reverse(), { folds: 5, seed: 1, groups: acdcGroups });
  const c = kFoldAssignment(patients, { folds: 5, seed: 2, groups: acdcGroups });
  assert.deepEqual([...a].sort(), [...b].sort());
  assert.notDeepEqual([...a].sort(), [...c].sort());
  // Without groups: one stratum; 7 patients in 3 folds have sizes 3, 2, 2.
  const sizes = [0, 1, 2].map((fold) => splitPatients(patients.slice(0, 7), { folds: 3, fold, seed: 4 }).val.length);
  assert.deepEqual(sizes, [3, 2, 2]);
});

test("k-fold refuses a fold out of range and more folds than patients", () => {
  assert.throws(() => splitPatients(patients, { folds: 5, fold: 5, seed: 1 }), /split\.fold must be an integer in \[0, 4\]/);
  assert.throws(() => splitPatients(patients.slice(0, 3), { folds: 4, fold: 0, seed: 1 }), /4 folds need at least 4 patients/);
  assert.throws(() => splitPatients(patients, { folds: 1, fold: 0, seed: 1 }), /folds must be an integer >= 2/);
});

test("val none holds out nobody: every selected patient trains", () => {
  const s = splitPatients(patients, { train: "001-100", val: "none" });
  assert.deepEqual(s.train, patients);
  assert.deepEqual(s.val, []);
});
