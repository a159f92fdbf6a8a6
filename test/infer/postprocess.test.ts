// Largest-connected-component clean-up on a hand-made 4x3x2 label volume whose components were
// worked out by hand for face (6) and full (26) connectivity, including a tie.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagonalAffine, type LabelVolume } from "../../src/io/image.js";
import { keepLargestComponents, labelComponents, neighbourOffsets } from "../../src/infer/postprocess.js";

const DIMS = [4, 3, 2];
const at = (i: number, j: number, k: number): number => i + 4 * (j + 3 * k);

/** Voxel lists per class: see the expectations below for which ones are components. */
const VOXELS: Record<number, [number, number, number][]> = {
  // A: 3 face-connected voxels; B: 2 voxels far away; C: (1,1,1) touches A only along edges.
  1: [[0, 0, 0], [1, 0, 0], [0, 0, 1], [3, 2, 0], [3, 2, 1], [1, 1, 1]],
  // A lone voxel and a 2-voxel pair.
  2: [[2, 0, 0], [2, 2, 1], [1, 2, 1]],
  // Two lone voxels: a tie, the first in voxel order (index 3 before index 8) is kept.
  3: [[3, 0, 0], [0, 2, 0]],
};

function volume(voxels: Record<number, [number, number, number][]>): LabelVolume {
  const data = new Uint8Array(24);
  for (const [c, list] of Object.entries(voxels)) for (const [i, j, k] of list) data[at(i, j, k)] = Number(c);
  return { data, dims: DIMS, spacing: [1, 1, 1], affine: diagonalAffine([1, 1, 1]), meta: {} };
}

test("neighbour offsets: 6, 18 and 26 neighbours", () => {
  assert.equal(neighbourOffsets(6).length, 6);
  assert.equal(neighbourOffsets(18).length, 18);
  assert.equal(neighbourOffsets(26).length, 26);
});

test("components of class 1: 3 with face connectivity, 2 with full connectivity", () => {
  const v = volume(VOXELS);
  const six = labelComponents(v.data, DIMS, 1, 6);
  assert.deepEqual(six.sizes.slice(1).sort(), [1, 2, 3]);
  assert.equal(six.ids[at(0, 0, 0)], six.ids[at(0, 0, 1)]);
  assert.notEqual(six.ids[at(1, 1, 1)], six.ids[at(0, 0, 0)]);
  const full = labelComponents(v.data, DIMS, 1, 26);
  assert.deepEqual(full.sizes.slice(1).sort(), [2, 4]);
  assert.equal(full.ids[at(1, 1, 1)], full.ids[at(0, 0, 0)]);
});

test("keepLargestComponents keeps one component per class (face connectivity)", () => {
  const v = volume(VOXELS);
  const before = v.data.slice();
  const r = keepLargestComponents(v);
  const want = volume({ 1: [[0, 0, 0], [1, 0, 0], [0, 0, 1]], 2: [[2, 2, 1], [1, 2, 1]], 3: [[3, 0, 0]] });
  assert.deepEqual(Array.from(r.labels.data), Array.from(want.data));
  assert.deepEqual(r.removed, { 1: 3, 2: 1, 3: 1 });
  assert.deepEqual(Array.from(v.data), Array.from(before), "the input is left untouched");
  assert.deepEqual(r.labels.dims, DIMS);
  assert.deepEqual(r.labels.affine, v.affine);
});

test("keepLargestComponents with full connectivity and a class subset", () => {
  const r = keepLargestComponents(volume(VOXELS), { connectivity: 26, classes: [1] });
  const want = volume({ 1: [[0, 0, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]], 2: VOXELS[2], 3: VOXELS[3] });
  assert.deepEqual(Array.from(r.labels.data), Array.from(want.data));
  assert.deepEqual(r.removed, { 1: 2 });
});

test("an all-background volume is unchanged and a wrong size is refused", () => {
  const empty = volume({});
  assert.deepEqual(keepLargestComponents(empty).removed, {});
  assert.throws(() => keepLargestComponents({ ...empty, dims: [5, 3, 2] }), /24 voxels for dims 5x3x2/);
});
