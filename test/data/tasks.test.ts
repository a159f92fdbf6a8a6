// Tests of the label tasks: the contour band on a hand-drawn square ring, checked against exact
// point-to-outline distances computed geometrically (independent of the raster implementation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyTask, taskNumClasses } from "../../src/data/tasks.js";

const N = 20;
/** MYO (2) on rows/cols 6..13, LV cavity (3) on rows/cols 8..11. */
function ring(): Uint8Array {
  const l = new Uint8Array(N * N);
  for (let y = 6; y <= 13; y++) for (let x = 6; x <= 13; x++) l[y * N + x] = x >= 8 && x <= 11 && y >= 8 && y <= 11 ? 3 : 2;
  return l;
}

/** Distance (mm) from point (px, py) to the outline of the axis-aligned square [a, b]^2 (pixel units). */
function outlineDistance(px: number, py: number, a: number, b: number, sx: number, sy: number): number {
  const inside = px >= a && px <= b && py >= a && py <= b;
  if (inside) return Math.min((px - a) * sx, (b - px) * sx, (py - a) * sy, (b - py) * sy);
  const dx = Math.max(a - px, 0, px - b) * sx, dy = Math.max(a - py, 0, py - b) * sy;
  return Math.hypot(dx, dy);
}

function reference(width: number, sx: number, sy: number): Uint8Array {
  const out = new Uint8Array(N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const d = Math.min(outlineDistance(x, y, 7.5, 11.5, sx, sy), outlineDistance(x, y, 5.5, 13.5, sx, sy));
      out[y * N + x] = d <= width / 2 + 1e-9 ? 1 : 0;
    }
  }
  return out;
}

test("contour band of width 2 px on the ring: 96 pixels, hand-counted", () => {
  const band = applyTask(ring(), N, N, [1.5, 1.5], { name: "contour", bandWidth: 2, bandUnit: "px" });
  // Rows/cols 5..14 (within 1 px of the epicardial square) minus the 2x2 cavity centre.
  assert.equal(band.reduce((a, b) => a + b, 0), 96);
  assert.equal(band[9 * N + 9], 0);
  assert.equal(band[5 * N + 5], 1, "corner pixel: 0.71 px from the outline corner");
  assert.equal(band[4 * N + 9], 0);
  assert.equal(band[7 * N + 7], 1);
});

test("contour band matches exact geometric distances for several widths and spacings", () => {
  for (const [width, sx, sy] of [[2, 1, 1], [3, 1, 1], [4, 2, 2], [2, 1, 2], [5, 1.25, 1.25], [3.1, 1.5, 0.8]]) {
    const band = applyTask(ring(), N, N, [sx, sy], { name: "contour", bandWidth: width, bandUnit: "mm" });
    assert.deepEqual(band, reference(width, sx, sy), `width ${width} mm, spacing ${sx}x${sy}`);
  }
});

test("regions keeps ACDC labels; class counts per task", () => {
  const l = ring();
  const r = applyTask(l, N, N, [1, 1], { name: "regions" });
  assert.deepEqual(r, l);
  assert.notEqual(r, l, "a copy, not the same array");
  assert.equal(taskNumClasses({ name: "regions" }), 4);
  assert.equal(taskNumClasses({ name: "contour" }), 2);
  assert.throws(() => applyTask(l, N, N, [1, 1], { name: "contour", bandWidth: 0 }), /bandWidth/);
});

test("a slice without myocardium or cavity has an empty band; RV alone draws no contour", () => {
  const l = new Uint8Array(N * N);
  for (let i = 0; i < 50; i++) l[i + 100] = 1;
  assert.ok(applyTask(l, N, N, [1, 1], { name: "contour" }).every((v) => v === 0));
});
