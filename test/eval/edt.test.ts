// The separable exact distance transform against a brute-force search (tiny grids only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { squaredEdt } from "../../src/eval/edt.js";

function bruteForce(feature: Uint8Array, dims: number[], sp: number[]): Float64Array {
  const [nx, ny] = dims;
  const pts: number[][] = [];
  feature.forEach((f, v) => { if (f) pts.push([v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))]); });
  return Float64Array.from(feature, (_, v) => {
    const p = [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
    let best = Infinity;
    for (const q of pts) best = Math.min(best, ((p[0] - q[0]) * sp[0]) ** 2 + ((p[1] - q[1]) * sp[1]) ** 2 + ((p[2] - q[2]) * sp[2]) ** 2);
    return best;
  });
}

test("matches brute force on random sparse features with anisotropic spacing", () => {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const [dims, sp, density] of [[[9, 7, 5], [1.3, 0.7, 4.5], 0.03], [[12, 1, 1], [2, 1, 1], 0.2], [[5, 6, 7], [1, 1, 1], 0.3]] as const) {
    const feature = Uint8Array.from({ length: dims[0] * dims[1] * dims[2] }, () => (rand() < density ? 1 : 0));
    feature[3] = 1;
    const got = squaredEdt(feature, [...dims], [...sp]);
    const want = bruteForce(feature, [...dims], [...sp]);
    got.forEach((g, v) => assert.ok(Math.abs(g - want[v]) < 1e-9, `voxel ${v}: ${g} vs ${want[v]}`));
  }
});

test("no feature voxel leaves every distance infinite", () => {
  assert.ok(squaredEdt(new Uint8Array(24), [2, 3, 4], [1, 1, 1]).every((d) => d === Infinity));
});
