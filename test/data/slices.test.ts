// Tests of slice extraction and its input checks (geometry, label values, empty data sets),
// plus class frequencies and weights on hand-counted labels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagonalAffine, type ImageVolume, type LabelVolume } from "../../src/io/image.js";
import { slicesFromCase, slicesFromCases, type LabelledCase } from "../../src/data/slices.js";
import { classFrequencies, classWeights } from "../../src/data/frequencies.js";

function volume<T extends Float32Array | Uint8Array>(data: T, dims: number[], spacing = [1.5, 1.5, 10]): ImageVolume<T> {
  return { data, dims, spacing, affine: diagonalAffine(spacing), meta: {} };
}

function makeCase(over: Partial<LabelledCase> = {}): LabelledCase {
  const dims = [4, 3, 3];
  const label = new Uint8Array(36);
  label[12 + 5] = 3; // slice 1 has a label; slices 0 and 2 are empty
  return {
    patient: "patient001", caseId: "patient001_frame01", phase: "ED",
    image: volume(Float32Array.from({ length: 36 }, (_, i) => i), dims), label: volume(label, dims) as LabelVolume,
    imageFile: "p1/img.nii.gz", labelFile: "p1/img_gt.nii.gz", ...over,
  };
}

test("every slice of a labelled case comes out with provenance; empty ones optionally dropped", () => {
  const all = slicesFromCase(makeCase());
  assert.equal(all.length, 3);
  const s1 = all[1];
  assert.deepEqual([s1.width, s1.height], [4, 3]);
  assert.equal(s1.image[0], 12);
  assert.equal(s1.label[5], 3);
  assert.deepEqual(s1.provenance, {
    patient: "patient001", caseId: "patient001_frame01", phase: "ED", sliceIndex: 1, spacing: [1.5, 1.5],
    imageFile: "p1/img.nii.gz", labelFile: "p1/img_gt.nii.gz",
  });
  const kept = slicesFromCase(makeCase(), { keepEmpty: false });
  assert.deepEqual(kept.map((s) => s.provenance.sliceIndex), [1]);
});

test("labels outside the configured classes name the file, value and voxel", () => {
  const c = makeCase();
  const bad = c.label.data.slice();
  bad[2 * 12 + 4 + 3] = 7;
  assert.throws(() => slicesFromCase({ ...c, label: { ...c.label, data: bad } }),
    /p1\/img_gt\.nii\.gz: label value 7 at voxel \(3, 1, 2\) is outside the configured classes 0-3/);
});

test("mismatched image/label geometry is refused naming both files and the field", () => {
  const c = makeCase();
  assert.throws(() => slicesFromCase({ ...c, label: volume(new Uint8Array(24), [4, 3, 2]) as LabelVolume }),
    /p1\/img_gt\.nii\.gz: label dims 4x3x2 do not match image p1\/img\.nii\.gz dims 4x3x3/);
  assert.throws(() => slicesFromCase({ ...c, label: volume(c.label.data, [4, 3, 3], [1.5, 1.4, 10]) as LabelVolume }),
    /img_gt\.nii\.gz: affine does not match image p1\/img\.nii\.gz/);
  const nan = c.image.data.slice() as Float32Array;
  nan[3] = NaN;
  assert.throws(() => slicesFromCase({ ...c, image: volume(nan, [4, 3, 3]) }), /p1\/img\.nii\.gz: voxel value NaN in slice 0/);
  assert.throws(() => slicesFromCase({ ...c, image: volume(c.image.data as Float32Array, [4, 3, 3, 2]) }), /4D/);
});

test("no usable cases is an error naming the folder", () => {
  assert.throws(() => slicesFromCases([], "/data/empty"), /\/data\/empty: no usable labelled cases/);
  assert.throws(() => slicesFromCases([makeCase({ label: volume(new Uint8Array(36), [4, 3, 3]) as LabelVolume })], "/d", { keepEmpty: false }),
    /\/d: 1 case\(s\) found but no labelled slices with foreground/);
});

test("class frequencies and inverse / median-frequency weights, hand-counted", () => {
  // Image A: 6 bg, 2 of class 1; image B: 4 bg, 4 of class 2. Class 3 absent.
  const a = { label: Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1]) }, b = { label: Uint8Array.from([0, 0, 0, 0, 2, 2, 2, 2]) };
  const f = classFrequencies([a, b], 4);
  assert.deepEqual(f.counts, [10, 2, 4, 0]);
  assert.deepEqual(f.frequencies, [10 / 16, 2 / 16, 4 / 16, 0]);
  assert.deepEqual(f.presentPixels, [16, 8, 8, 0]);
  const inv = classWeights(f, "inverse");
  assert.deepEqual(inv.map((v) => +v.toFixed(6)), [+(16 / 30).toFixed(6), +(16 / 6).toFixed(6), +(16 / 12).toFixed(6), 0]);
  // freq = [10/16, 2/8, 4/8]; median 0.5 -> weights [0.8, 2, 1, 0].
  assert.deepEqual(classWeights(f, "median").map((v) => +v.toFixed(9)), [0.8, 2, 1, 0]);
  assert.throws(() => classFrequencies([{ label: Uint8Array.from([5]) }], 4), /label value 5/);
});
