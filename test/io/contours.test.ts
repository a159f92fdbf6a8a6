// Contour rasterisation against scikit-image's draw.polygon (recorded on the shared Sunnybrook
// contours by scripts/fixtures/io.py), hand-checked cases, and mask -> contour -> mask round trips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { contoursFromMask, formatContour, labelsFromContours, parseContour, rasterizePolygon, readContourFile } from "../../src/io/contours.js";
import { IoError } from "../../src/io/errors.js";
import { SHARED, readJson, skipUnless } from "./helpers.js";

interface PolygonRef {
  file: string;
  kind: "i" | "o";
  count: number;
  indexSum: number;
  rows: number;
  cols: number;
  runs: number[];
}

const refs = readJson<{ contours: PolygonRef[] }>("sunnybrook-polygons.json").contours;
const CONTOURS = join(SHARED, "sunnybrook/contourfiles/SC-HF-I-1");

function fromRuns(runs: number[], n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < runs.length; i += 2) m.fill(1, runs[i], runs[i] + runs[i + 1]);
  return m;
}

function dice(a: Uint8Array, b: Uint8Array): number {
  let inter = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > 0, y = b[i] > 0;
    if (x && y) inter++;
    if (x) sa++;
    if (y) sb++;
  }
  return sa + sb === 0 ? 1 : (2 * inter) / (sa + sb);
}

test("a square's pixels are those whose centres lie inside or on it", () => {
  const m = rasterizePolygon([{ x: 1, y: 1 }, { x: 3, y: 1 }, { x: 3, y: 3 }, { x: 1, y: 3 }], 5, 5);
  const expected = [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  assert.deepEqual([...m], expected);
  // Shifted by half a pixel the boundary no longer touches centres: 2x2 pixels.
  const h = rasterizePolygon([{ x: 0.5, y: 0.5 }, { x: 2.5, y: 0.5 }, { x: 2.5, y: 2.5 }, { x: 0.5, y: 2.5 }], 4, 4);
  assert.equal(h.reduce((a, b) => a + b, 0), 4);
  assert.equal(h[1 * 4 + 1], 1);
  assert.equal(h[0], 0);
});

for (const ref of refs) {
  const path = join(CONTOURS, `${ref.kind}-contours`, ref.file);
  test(`rasterising ${ref.file} matches skimage.draw.polygon`, { skip: skipUnless(path) }, () => {
    const mask = rasterizePolygon(readContourFile(path), ref.cols, ref.rows);
    const expected = fromRuns(ref.runs, ref.cols * ref.rows);
    assert.ok(dice(mask, expected) >= 0.99);
    let count = 0, sum = 0;
    mask.forEach((v, i) => { if (v) { count++; sum += i; } });
    assert.equal(count, ref.count);
    assert.equal(sum, ref.indexSum);
  });
}

test("Sunnybrook slice labels: 3 inside i, 2 between o and i, 255 where a missing contour leaves it unknown", { skip: skipUnless(CONTOURS) }, () => {
  const i = readContourFile(join(CONTOURS, "i-contours/IM-0001-0059-icontour-manual.txt"));
  const o = readContourFile(join(CONTOURS, "o-contours/IM-0001-0059-ocontour-manual.txt"));
  const lab = labelsFromContours(256, 256, i, o);
  const ri = refs.find((r) => r.file === "IM-0001-0059-icontour-manual.txt") as PolygonRef;
  const ro = refs.find((r) => r.file === "IM-0001-0059-ocontour-manual.txt") as PolygonRef;
  const count = (v: number): number => lab.reduce((a, b) => a + (b === v ? 1 : 0), 0);
  assert.equal(count(3), ri.count);
  const mi = fromRuns(ri.runs, 256 * 256), mo = fromRuns(ro.runs, 256 * 256);
  assert.equal(count(2), mo.reduce((a, v, k) => a + (v && !mi[k] ? 1 : 0), 0));
  assert.equal(count(1), 0);
  // An i-contour alone: the cavity, and "not annotated" (255) everywhere else.
  const onlyI = labelsFromContours(256, 256, i);
  assert.equal(onlyI.reduce((a, b) => a + (b === 2 || b === 0 ? 1 : 0), 0), 0);
  assert.equal(onlyI.reduce((a, b) => a + (b === 3 ? 1 : 0), 0), ri.count);
  assert.equal(onlyI.reduce((a, b) => a + (b === 255 ? 1 : 0), 0), 256 * 256 - ri.count);
  // An o-contour alone: its inside is myocardium or cavity, unknown which.
  const onlyO = labelsFromContours(256, 256, undefined, o);
  assert.equal(onlyO.reduce((a, b) => a + (b === 255 ? 1 : 0), 0), ro.count);
  assert.equal(onlyO.reduce((a, b) => a + (b === 2 || b === 3 ? 1 : 0), 0), 0);
});

test("marching squares gives back contours that rasterise to the same mask", { skip: skipUnless(CONTOURS) }, () => {
  for (const ref of refs) {
    const expected = fromRuns(ref.runs, ref.cols * ref.rows);
    const loops = contoursFromMask(expected, ref.cols, ref.rows);
    const back = new Uint8Array(expected.length);
    for (const loop of loops) {
      const m = rasterizePolygon(loop, ref.cols, ref.rows);
      m.forEach((v, k) => { back[k] ^= v; });
    }
    assert.deepEqual(back, expected, ref.file);
    // the text format survives a round trip
    assert.deepEqual(parseContour(formatContour(loops[0]), "x"), loops[0]);
  }
});

test("marching squares on hand-made masks: one pixel, a ring, diagonal pixels", () => {
  const one = new Uint8Array(9); one[4] = 1;
  const loops = contoursFromMask(one, 3, 3);
  assert.equal(loops.length, 1);
  assert.deepEqual(new Set(loops[0].map((p) => `${p.x},${p.y}`)), new Set(["1.5,1", "1,0.5", "0.5,1", "1,1.5"]));
  const ring = new Uint8Array(25);
  for (let r = 1; r <= 3; r++) for (let c = 1; c <= 3; c++) ring[r * 5 + c] = r === 2 && c === 2 ? 0 : 1;
  assert.equal(contoursFromMask(ring, 5, 5).length, 2); // outer boundary and hole
  const diag = Uint8Array.from([1, 0, 0, 1]);
  assert.equal(contoursFromMask(diag, 2, 2).length, 1); // 8-connected foreground stays one region
});

test("bad contour text is an IoError naming file and line", () => {
  assert.throws(() => parseContour("1 2\n3 x\n", "f.txt"), (e: unknown) => e instanceof IoError && /f\.txt: line 2/.test(e.message));
  assert.throws(() => parseContour("1 2\n", "g.txt"), IoError);
});
