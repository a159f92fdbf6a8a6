// contours.ts — expert contours as point lists (Sunnybrook's "x y" text files) to masks and back.
//
// Rasterisation convention (the one scikit-image's draw.polygon uses, checked against it on the
// Sunnybrook fixtures): coordinates are in pixels with x = column, y = row, and the centre of
// pixel (row r, column c) is the point (x = c, y = r). A pixel belongs to the polygon iff its
// centre is inside it or exactly on its boundary (O'Rourke's crossing test with edge/vertex cases),
// found by a scanline fill whose time grows with edges + pixels, never edges x pixels.
// Mask -> contour is marching squares at level 0.5: the contour runs half-way between foreground
// and background pixel centres, so rasterising it again gives back the same mask.
import { writeFileAtomic } from "../util/fs.js";
import { IoError, readInputText, withFile } from "./errors.js";
import { UNANNOTATED } from "./image.js";

export interface Point {
  /** column, pixels */
  readonly x: number;
  /** row, pixels */
  readonly y: number;
}

/** Parses "x y" lines; blank lines are ignored, anything else that is not two numbers is an error. */
export function parseContour(text: string, file: string): Point[] {
  const points: Point[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const parts = line.split(/[\s,]+/);
    const x = Number(parts[0]), y = Number(parts[1]);
    if (parts.length !== 2 || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new IoError(file, `line ${i + 1}: expected "x y", got ${JSON.stringify(line.slice(0, 40))}`);
    }
    if (Math.abs(x) > MAX_COORDINATE || Math.abs(y) > MAX_COORDINATE) {
      throw new IoError(file, `line ${i + 1}: point (${x}, ${y}) lies far outside any image`);
    }
    points.push({ x, y });
  }
  if (points.length < 3) throw new IoError(file, `a contour needs at least 3 points, found ${points.length}`);
  return points;
}

/** No contour file comes near this (Sunnybrook's are a few kB). */
const MAX_CONTOUR_FILE_BYTES = 64 << 20;

export function readContourFile(path: string): Point[] {
  return parseContour(readInputText(path, MAX_CONTOUR_FILE_BYTES), path);
}

/** Reads a contour file and draws it into a cols x rows mask (see rasterizePolygon); errors name the file. */
export function rasterizeContourFile(path: string, cols: number, rows: number, into?: Uint8Array, value = 1): Uint8Array {
  const points = readContourFile(path);
  return withFile(path, "cannot rasterise the contour", () => rasterizePolygon(points, cols, rows, into, value));
}

/** The Sunnybrook text format: one "x y" line per point, two decimals. */
export function formatContour(points: readonly Point[]): string {
  return points.map((p) => `${p.x.toFixed(2)} ${p.y.toFixed(2)}\n`).join("");
}

export function writeContourFile(path: string, points: readonly Point[]): void {
  writeFileAtomic(path, formatContour(points));
}

/** Work limit of one rasterisation: edge-row crossings (a real contour needs a few thousand). */
export const MAX_POLYGON_CROSSINGS = 1 << 25;
/** |coordinate| beyond which a contour point cannot belong to any image (pixels). */
const MAX_COORDINATE = 1e6;
const EPS = 1e-12;

/**
 * Mask (row-major, index = row * cols + col, i.e. NIfTI order of one slice) of a polygon.
 *
 * A scanline fill with an edge table, O(edges + crossings + pixels), giving exactly the pixels of
 * scikit-image's point_in_polygon (O'Rourke's crossing test) — inside, on an edge or on a vertex.
 * That test counts, for a pixel centre (c, r), the edges crossing row r to its right (edges with
 * one end above r and the other at or below) and to its left (one end below, the other at or
 * above); the pixel is in when either count is odd, or when it sits on a vertex. Per row, each
 * crossing edge contributes a threshold column, computed with skimage's own expression so that
 * ties (a centre exactly on an edge) fall the same way; parities then follow by prefix XOR.
 * Written here because no maintained JS rasteriser follows skimage's boundary rule, and the
 * Sunnybrook reference masks are skimage's.
 */
export function rasterizePolygon(points: readonly Point[], cols: number, rows: number, into?: Uint8Array, value = 1): Uint8Array {
  const mask = into ?? new Uint8Array(cols * rows);
  const n = points.length;
  if (n < 3 || cols < 1 || rows < 1) return mask;
  const xs = new Float64Array(n), ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = points[i].x;
    ys[i] = points[i].y;
    if (!(Math.abs(xs[i]) <= MAX_COORDINATE && Math.abs(ys[i]) <= MAX_COORDINATE)) {
      throw new Error(`contour point ${i + 1} (${xs[i]}, ${ys[i]}) lies far outside any image`);
    }
  }
  const table = edgeTable(xs, ys, rows);
  const right = new Uint8Array(cols + 1), left = new Uint8Array(cols + 1);
  const active: number[] = [];
  let next = 0;
  for (let r = table.firstRow; r <= table.lastRow; r++) {
    while (next < table.order.length && table.start[table.order[next]] <= r) active.push(table.order[next++]);
    right.fill(0);
    left.fill(0);
    let rightCount = 0, any = false;
    let keep = 0;
    for (const e of active) {
      if (table.end[e] < r) continue;
      active[keep++] = e;
      const a = e === 0 ? n - 1 : e - 1; // skimage walks edges (i-1 -> i)
      const ya = ys[a], yb = ys[e];
      if (ya > r !== yb > r) {
        right[clamp(firstColumn(xs[e], yb, xs[a], ya, r, false), cols)] ^= 1;
        rightCount++;
        any = true;
      }
      if (ya < r !== yb < r) {
        left[clamp(firstColumn(xs[e], yb, xs[a], ya, r, true), cols)] ^= 1;
        any = true;
      }
    }
    active.length = keep;
    if (any) fillRow(mask, r * cols, cols, right, rightCount & 1, left, value);
  }
  markVertices(mask, xs, ys, cols, rows, value);
  return mask;
}

interface EdgeTable {
  /** Edge e (from vertex e-1 to e) is active on rows start[e]..end[e]. */
  start: Int32Array;
  end: Int32Array;
  /** Edge indices by start row. */
  order: Int32Array;
  firstRow: number;
  lastRow: number;
}

function edgeTable(xs: Float64Array, ys: Float64Array, rows: number): EdgeTable {
  const n = xs.length;
  const start = new Int32Array(n), end = new Int32Array(n);
  let crossings = 0, firstRow = rows, lastRow = -1;
  for (let e = 0; e < n; e++) {
    const a = e === 0 ? n - 1 : e - 1;
    const lo = Math.min(ys[a], ys[e]), hi = Math.max(ys[a], ys[e]);
    // Rows r with lo <= r < hi (right crossings) or lo < r <= hi (left), inside the image.
    const s = Math.max(0, Math.ceil(lo)), t = Math.min(rows - 1, Math.floor(hi));
    start[e] = s;
    end[e] = t;
    if (t < s) continue;
    crossings += t - s + 1;
    firstRow = Math.min(firstRow, s);
    lastRow = Math.max(lastRow, t);
  }
  if (crossings > MAX_POLYGON_CROSSINGS) {
    throw new Error(`a contour of ${n} points crosses the image rows ${crossings} times, more than the ${MAX_POLYGON_CROSSINGS} a contour may`);
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).filter((e) => end[e] >= start[e]).sort((p, q) => start[p] - start[q]);
  return { start, end, order, firstRow, lastRow };
}

/**
 * skimage's crossing term for pixel column c on row r of edge (x0,y0)-(x1,y1): positive when the
 * edge crosses the row to the right of c, negative to the left, zero through the centre.
 */
function crossing(x0: number, y0: number, x1: number, y1: number, c: number, r: number): number {
  const ax = x0 - c, ay = y0 - r, bx = x1 - c, by = y1 - r;
  return (ax * by - bx * ay) / (by - ay);
}

/**
 * The first column where the edge no longer counts as a right crossing (term <= 0), or with
 * `leftSide` the first where it counts as a left crossing (term < 0).
 */
function firstColumn(x0: number, y0: number, x1: number, y1: number, r: number, leftSide: boolean): number {
  const at = x0 + ((r - y0) * (x1 - x0)) / (y1 - y0);
  if (!(at > -4)) return -1;
  if (at > 2 * MAX_COORDINATE) return Number.MAX_SAFE_INTEGER;
  const done = (c: number): boolean => {
    const v = crossing(x0, y0, x1, y1, c, r);
    return leftSide ? v < 0 : v <= 0;
  };
  // Rounding can only move the threshold by a column or so either way of `at`.
  let c = Math.floor(at) - 2;
  for (let k = 0; k < 8 && done(c); k++) c--;
  for (let k = 0; k < 16 && !done(c); k++) c++;
  return c;
}

function clamp(c: number, cols: number): number {
  return c < 0 ? 0 : c > cols ? cols : c;
}

/**
 * Sets pixels of one row where the right-crossing count (total parity `rightOdd` minus the
 * thresholds passed so far) or the left-crossing count (thresholds passed) is odd.
 */
function fillRow(mask: Uint8Array, base: number, cols: number, right: Uint8Array, rightOdd: number, left: Uint8Array, value: number): void {
  let passedRight = 0, passedLeft = 0;
  for (let c = 0; c < cols; c++) {
    passedRight ^= right[c];
    passedLeft ^= left[c];
    if ((rightOdd ^ passedRight) | passedLeft) mask[base + c] = value;
  }
}

/** Pixels whose centre is a vertex (skimage's "on a vertex"). */
function markVertices(mask: Uint8Array, xs: Float64Array, ys: Float64Array, cols: number, rows: number, value: number): void {
  for (let i = 0; i < xs.length; i++) {
    const c = Math.round(xs[i]), r = Math.round(ys[i]);
    if (c < 0 || r < 0 || c >= cols || r >= rows) continue;
    const dx = xs[i] - c, dy = ys[i] - r;
    if (dx > -EPS && dx < EPS && dy > -EPS && dy < EPS) mask[r * cols + c] = value;
  }
}

/**
 * Sunnybrook labels of one slice in ACDC numbering: 3 inside the i-contour (LV cavity), 2 between
 * o- and i-contour (myocardium), 0 outside the o-contour. Where a contour is missing, what it would
 * have told is unknown and labelled UNANNOTATED (255): with an i-contour only, everything outside
 * the LV cavity (background or myocardium); with an o-contour only, everything inside it (myocardium
 * or cavity).
 */
export function labelsFromContours(cols: number, rows: number, inner?: readonly Point[], outer?: readonly Point[]): Uint8Array {
  const draw = (points: readonly Point[] | undefined): DrawContour | undefined =>
    points && ((mask, value) => rasterizePolygon(points, cols, rows, mask, value));
  return sliceLabels(cols * rows, draw(inner), draw(outer));
}

/** labelsFromContours from contour files (either may be absent); errors name the file. */
export function labelsFromContourFiles(cols: number, rows: number, innerFile?: string, outerFile?: string): Uint8Array {
  const draw = (file: string | undefined): DrawContour | undefined =>
    file === undefined ? undefined : (mask, value) => rasterizeContourFile(file, cols, rows, mask, value);
  return sliceLabels(cols * rows, draw(innerFile), draw(outerFile));
}

type DrawContour = (mask: Uint8Array, value: number) => void;

/** The labelling rule of labelsFromContours, whatever the contours are read from. */
function sliceLabels(pixels: number, inner?: DrawContour, outer?: DrawContour): Uint8Array {
  const mask = new Uint8Array(pixels);
  if (outer) outer(mask, inner ? 2 : UNANNOTATED);
  else if (inner) mask.fill(UNANNOTATED);
  inner?.(mask, 3);
  return mask;
}

/**
 * Closed contours (marching squares, level 0.5) around the pixels of `mask` where `inside(v)` holds.
 * Diagonal neighbours count as connected. Longest loop first.
 */
export function contoursFromMask(mask: ArrayLike<number>, cols: number, rows: number, inside: (v: number) => boolean = (v) => v > 0): Point[][] {
  const on = (r: number, c: number): boolean => r >= 0 && c >= 0 && r < rows && c < cols && inside(mask[r * cols + c]);
  const segments: [number, number][] = [];
  // Edge crossing points carry doubled coordinates so that keys are integers.
  const key = (x2: number, y2: number): number => (y2 + 2) * (2 * cols + 8) + (x2 + 2);
  for (let r = -1; r < rows; r++) {
    for (let c = -1; c < cols; c++) cellSegments(on(r, c), on(r, c + 1), on(r + 1, c + 1), on(r + 1, c), r, c, key, segments);
  }
  return chainSegments(segments, cols).sort((a, b) => b.length - a.length);
}

function cellSegments(tl: boolean, tr: boolean, br: boolean, bl: boolean, r: number, c: number, key: (x2: number, y2: number) => number, out: [number, number][]): void {
  const top = key(2 * c + 1, 2 * r), bottom = key(2 * c + 1, 2 * r + 2);
  const left = key(2 * c, 2 * r + 1), right = key(2 * c + 2, 2 * r + 1);
  const cuts: number[] = [];
  if (tl !== tr) cuts.push(top);
  if (tr !== br) cuts.push(right);
  if (br !== bl) cuts.push(bottom);
  if (bl !== tl) cuts.push(left);
  if (cuts.length === 2) out.push([cuts[0], cuts[1]]);
  else if (cuts.length === 4) {
    // Saddle: keep the diagonal foreground pair connected by cutting off the background corners.
    if (tl) out.push([top, right], [bottom, left]);
    else out.push([top, left], [bottom, right]);
  }
}

function chainSegments(segments: [number, number][], cols: number): Point[][] {
  const byPoint = new Map<number, number[]>();
  segments.forEach(([a, b], i) => {
    for (const p of [a, b]) {
      const list = byPoint.get(p);
      if (list) list.push(i);
      else byPoint.set(p, [i]);
    }
  });
  const width = 2 * cols + 8;
  const toPoint = (k: number): Point => ({ x: ((k % width) - 2) / 2, y: (Math.floor(k / width) - 2) / 2 });
  const used = new Uint8Array(segments.length);
  const loops: Point[][] = [];
  for (let s = 0; s < segments.length; s++) {
    if (used[s]) continue;
    const loop: Point[] = [];
    let seg = s, at = segments[s][0];
    while (!used[seg]) {
      used[seg] = 1;
      loop.push(toPoint(at));
      at = segments[seg][0] === at ? segments[seg][1] : segments[seg][0];
      const next = (byPoint.get(at) ?? []).find((i) => !used[i]);
      if (next === undefined) break;
      seg = next;
    }
    loops.push(loop);
  }
  return loops;
}
