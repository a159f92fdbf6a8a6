// contours.ts — expert contours as point lists (Sunnybrook's "x y" text files) to masks and back.
//
// Rasterisation convention (the one scikit-image's draw.polygon uses, checked against it on the
// Sunnybrook fixtures): coordinates are in pixels with x = column, y = row, and the centre of
// pixel (row r, column c) is the point (x = c, y = r). A pixel belongs to the polygon iff its
// centre is inside it or exactly on its boundary (O'Rourke's crossing test with edge/vertex cases).
// Mask -> contour is marching squares at level 0.5: the contour runs half-way between foreground
// and background pixel centres, so rasterising it again gives back the same mask.
import { writeFileAtomic } from "../util/fs.js";
import { IoError, readInputText } from "./errors.js";
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
    points.push({ x, y });
  }
  if (points.length < 3) throw new IoError(file, `a contour needs at least 3 points, found ${points.length}`);
  return points;
}

export function readContourFile(path: string): Point[] {
  return parseContour(readInputText(path), path);
}

/** The Sunnybrook text format: one "x y" line per point, two decimals. */
export function formatContour(points: readonly Point[]): string {
  return points.map((p) => `${p.x.toFixed(2)} ${p.y.toFixed(2)}\n`).join("");
}

export function writeContourFile(path: string, points: readonly Point[]): void {
  writeFileAtomic(path, formatContour(points));
}

const OUTSIDE = 0;
const EPS = 1e-12;

/** 0 outside, 1 inside, 2 on a vertex, 3 on an edge — a port of skimage's point_in_polygon. */
function pointInPolygon(xs: Float64Array, ys: Float64Array, x: number, y: number): number {
  const n = xs.length;
  let rCross = 0, lCross = 0;
  let x1 = xs[n - 1] - x, y1 = ys[n - 1] - y;
  for (let i = 0; i < n; i++) {
    const x0 = xs[i] - x, y0 = ys[i] - y;
    if (x0 > -EPS && x0 < EPS && y0 > -EPS && y0 < EPS) return 2;
    if (y0 > 0 !== y1 > 0 && (x0 * y1 - x1 * y0) / (y1 - y0) > 0) rCross++;
    if (y0 < 0 !== y1 < 0 && (x0 * y1 - x1 * y0) / (y1 - y0) < 0) lCross++;
    x1 = x0;
    y1 = y0;
  }
  if ((rCross & 1) !== (lCross & 1)) return 3;
  return rCross & 1 ? 1 : OUTSIDE;
}

/** Mask (row-major, index = row * cols + col, i.e. NIfTI order of one slice) of a polygon. */
export function rasterizePolygon(points: readonly Point[], cols: number, rows: number, into?: Uint8Array, value = 1): Uint8Array {
  const mask = into ?? new Uint8Array(cols * rows);
  if (points.length < 3) return mask;
  const xs = Float64Array.from(points, (p) => p.x);
  const ys = Float64Array.from(points, (p) => p.y);
  const r0 = Math.max(0, Math.floor(Math.min(...ys))), r1 = Math.min(rows - 1, Math.ceil(Math.max(...ys)));
  const c0 = Math.max(0, Math.floor(Math.min(...xs))), c1 = Math.min(cols - 1, Math.ceil(Math.max(...xs)));
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      if (pointInPolygon(xs, ys, c, r) !== OUTSIDE) mask[r * cols + c] = value;
    }
  }
  return mask;
}

/**
 * Sunnybrook labels of one slice in ACDC numbering: 3 inside the i-contour (LV cavity), 2 between
 * o- and i-contour (myocardium), 0 outside the o-contour. Where a contour is missing, what it would
 * have told is unknown and labelled UNANNOTATED (255): with an i-contour only, everything outside
 * the LV cavity (background or myocardium); with an o-contour only, everything inside it (myocardium
 * or cavity).
 */
export function labelsFromContours(cols: number, rows: number, inner?: readonly Point[], outer?: readonly Point[]): Uint8Array {
  const mask = new Uint8Array(cols * rows);
  if (outer) rasterizePolygon(outer, cols, rows, mask, inner ? 2 : UNANNOTATED);
  else if (inner) mask.fill(UNANNOTATED);
  if (inner) rasterizePolygon(inner, cols, rows, mask, 3);
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
