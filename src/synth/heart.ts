// heart.ts owns the heart's geometry on one short-axis slice at one phase: LV endo- and epicardial
// radius as a function of angle, the RV crescent (an ellipse pressed against the septum), the
// papillary muscles and the pericardial fat band. It also owns the motion model: from ED to ES the
// cavity area shrinks by the ejection fraction while the myocardial area of every angular sector
// is kept, so the wall thickens as it does in a real heart.
import type { HeartSpec } from "./spec.js";

export const ANGLE_BINS = 256;

export type Phase = "ED" | "ES";

export interface Ellipse {
  readonly x: number;
  readonly y: number;
  readonly a: number;
  readonly b: number;
  readonly angle: number;
}

export interface HeartSlice {
  readonly phase: Phase;
  /** LV centre in the body frame, mm. */
  readonly x: number;
  readonly y: number;
  /** Radii (mm) per angle bin; bin b covers angle -pi + 2*pi*b/ANGLE_BINS. */
  readonly endo: Float64Array;
  readonly epi: Float64Array;
  readonly fat: Float64Array;
  /** Largest distance from the LV centre any heart structure (fat included) reaches. */
  readonly reach: number;
  /** RV cavity (null once the RV has vanished towards the apex). */
  readonly rv: Ellipse | null;
  readonly rvWall: number;
  /** Papillary muscles and trabeculae: dark circles inside the cavity (labelled LV, as in ACDC). */
  readonly papillary: readonly { x: number; y: number; r: number }[];
}

function binAngle(b: number): number {
  return -Math.PI + (2 * Math.PI * b) / ANGLE_BINS;
}

function harmonicSum(h: readonly (readonly [number, number])[], theta: number, firstOrder: number): number {
  let s = 0;
  for (let n = 0; n < h.length; n++) s += h[n][0] * Math.cos((n + firstOrder) * theta + h[n][1]);
  return s;
}

/** Signed angular difference wrapped to (-pi, pi]. */
export function angleDiff(a: number, b: number): number {
  let d = (a - b) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d <= -Math.PI) d += 2 * Math.PI;
  return d;
}

function bump(d: number, width: number): number {
  return Math.exp(-(d * d) / (2 * width * width));
}

/** LV cavity radius profile from base (z = 0) to apex (z = 1): a truncated ellipsoid. */
export function lvProfile(z: number): number {
  return Math.sqrt(Math.max(0.04, 1 - 0.8 * Math.pow(Math.max(0, z), 2.5)));
}

function edRadii(spec: HeartSpec, z: number): { endo: Float64Array; wall: Float64Array } {
  const endo = new Float64Array(ANGLE_BINS), wall = new Float64Array(ANGLE_BINS);
  const r0 = spec.lvRadius * lvProfile(z);
  for (let b = 0; b < ANGLE_BINS; b++) {
    const t = binAngle(b);
    endo[b] = r0 * (1 + harmonicSum(spec.endoHarmonics, t, 2));
    let w = spec.wall * (1 - 0.2 * z) * (1 + harmonicSum(spec.wallHarmonics, t, 1));
    w *= 1 + spec.septalBulge * bump(angleDiff(t, spec.rvAngle), 0.5);
    if (spec.infarct) w *= 1 - spec.infarct.depth * bump(angleDiff(t, spec.infarct.angle), spec.infarct.width);
    wall[b] = Math.max(2.5, w);
  }
  return { endo, wall };
}

/** ES cavity radii: sector area scaled by 1 - c*w(theta), c chosen so the total follows the EF. */
function esEndo(spec: HeartSpec, endoEd: Float64Array): Float64Array {
  const weight = new Float64Array(ANGLE_BINS);
  let area = 0, weighted = 0;
  for (let b = 0; b < ANGLE_BINS; b++) {
    // An infarcted segment is hypokinetic: it hardly moves inwards.
    weight[b] = spec.infarct ? 1 - 0.7 * bump(angleDiff(binAngle(b), spec.infarct.angle), spec.infarct.width) : 1;
    area += endoEd[b] ** 2;
    weighted += endoEd[b] ** 2 * weight[b];
  }
  const c = (spec.ef * area) / weighted;
  const out = new Float64Array(ANGLE_BINS);
  for (let b = 0; b < ANGLE_BINS; b++) out[b] = endoEd[b] * Math.sqrt(Math.max(0.02, 1 - c * weight[b]));
  return out;
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

function rvEllipse(spec: HeartSpec, z: number, phase: Phase, x: number, y: number, epiEd: number, epiNow: number): Ellipse | null {
  const along = Math.max(0, 1 - Math.pow(z / spec.rvEnd, 3));
  const shrink = phase === "ES" ? Math.sqrt(1 - spec.rvEf) : 1;
  const a = spec.rvAlong * epiEd * Math.sqrt(along) * shrink;
  const b = spec.rvAcross * epiEd * Math.sqrt(along) * Math.sqrt(shrink);
  if (a < 1.5 || b < 3) return null;
  const d = epiNow + a * spec.rvOffset;
  return { x: x + d * Math.cos(spec.rvAngle), y: y + d * Math.sin(spec.rvAngle), a, b, angle: spec.rvAngle };
}

/** Dark muscle inside the cavity: two papillary muscles mid-ventricle, trabeculae along the wall. */
function cavityMuscle(spec: HeartSpec, z: number, phase: Phase, x: number, y: number, endo: Float64Array): { x: number; y: number; r: number }[] {
  // At ES the muscle bunches up: the same tissue in a smaller cavity looks bigger.
  const grow = phase === "ES" ? 1.5 : 1;
  const out: { x: number; y: number; r: number }[] = [];
  const place = (t: number, radius: number, inset: number): void => {
    const r = radius * grow, rEndo = lookup(endo, t);
    if (rEndo < 2.5 * r) return;
    const d = rEndo - inset * r;
    out.push({ x: x + d * Math.cos(t), y: y + d * Math.sin(t), r });
  };
  if (z >= 0.2 && z <= 0.85) for (const [rel, radius] of spec.papillary) place(angleDiff(spec.rvAngle + rel, 0), radius, 1.05);
  for (const [t, radius] of spec.trabeculae) place(t, radius, 0.6);
  return out;
}

/** The heart on the slice at base-apex fraction z (0 base, 1 apex). */
export function heartSlice(spec: HeartSpec, z: number, phase: Phase): HeartSlice {
  const { endo: endoEd, wall } = edRadii(spec, z);
  const epiEd = endoEd.map((r, b) => r + wall[b]);
  const endo = phase === "ES" ? esEndo(spec, endoEd) : endoEd;
  // Myocardial area is kept per sector, and grows a little at ES because the base descends
  // (longitudinal shortening brings more muscle into the slice): ACDC's mid-slice myocardium is
  // about 1.25x larger at ES than at ED.
  const esMyo = 1 + 0.5 * spec.ef;
  const epi = phase === "ES" ? endo.map((r, b) => Math.sqrt(r * r + esMyo * (epiEd[b] ** 2 - endoEd[b] ** 2))) : epiEd;
  const fat = new Float64Array(ANGLE_BINS);
  for (let b = 0; b < ANGLE_BINS; b++) fat[b] = Math.max(0, spec.fatMean + harmonicSum(spec.fatHarmonics, binAngle(b), 1));
  const shift = phase === "ES" ? spec.esShift : [0, 0];
  const x = spec.apexShift[0] * (z - 0.5) + shift[0], y = spec.apexShift[1] * (z - 0.5) + shift[1];
  const rv = rvEllipse(spec, z, phase, x, y, mean(epiEd), mean(epi));
  let reach = 0;
  for (let b = 0; b < ANGLE_BINS; b++) reach = Math.max(reach, epi[b] + fat[b]);
  if (rv) reach = Math.max(reach, Math.hypot(rv.x - x, rv.y - y) + Math.max(rv.a, rv.b) + spec.rvWall + Math.max(...fat));
  return { phase, x, y, endo, epi, fat, reach, rv, rvWall: spec.rvWall, papillary: cavityMuscle(spec, z, phase, x, y, endo) };
}

/** Linear interpolation of a per-angle table at angle t (radians). */
export function lookup(table: Float64Array, t: number): number {
  const f = ((t + Math.PI) / (2 * Math.PI)) * ANGLE_BINS;
  const i = Math.floor(f), w = f - i;
  const a = table[((i % ANGLE_BINS) + ANGLE_BINS) % ANGLE_BINS], b = table[(((i + 1) % ANGLE_BINS) + ANGLE_BINS) % ANGLE_BINS];
  return a + (b - a) * w;
}
