// scene.ts owns everything around the heart on one slice: the chest (fat, muscle), lungs with
// their vessels, liver, stomach, spine, aorta, the great vessels at the base and bright abdominal
// blobs. These are what makes the phantom hard: bright round things that are not the LV.
import type { Blob, PatientSpec } from "./spec.js";

/** An ellipse ready for per-pixel evaluation (trigonometry done once). */
export interface Shape {
  readonly x: number;
  readonly y: number;
  readonly cos: number;
  readonly sin: number;
  readonly a: number;
  readonly b: number;
  /** Radius of a circle around (x, y) that contains the ellipse. */
  readonly bound: number;
  /** 1/a^2, 1/b^2 for the implicit function q^2 = (lx/a)^2 + (ly/b)^2. */
  readonly ia2: number;
  readonly ib2: number;
  readonly value: number;
}

export function shape(x: number, y: number, a: number, b: number, angle: number, value: number): Shape {
  return { x, y, cos: Math.cos(angle), sin: Math.sin(angle), a, b, bound: Math.max(a, b), ia2: 1 / (a * a), ib2: 1 / (b * b), value };
}

/**
 * Squared implicit radius q^2 of (px, py): < 1 inside. Cheap (no square root), so the painter
 * uses it to skip the exact distance away from the outline: a point at implicit radius q lies at
 * least |q - 1| * min(a, b) from the outline.
 */
export function ellipseQ2(s: Shape, px: number, py: number): number {
  const dx = px - s.x, dy = py - s.y;
  const lx = s.cos * dx + s.sin * dy, ly = -s.sin * dx + s.cos * dy;
  return lx * lx * s.ia2 + ly * ly * s.ib2;
}

/**
 * Approximate signed distance (mm) from (px, py) to the ellipse outline: the implicit function
 * divided by its gradient, exact on circles and good to a fraction of a pixel near the outline,
 * which is the only place it is used for (edge coverage).
 */
export function ellipseDistance(s: Shape, px: number, py: number): number {
  const dx = px - s.x, dy = py - s.y;
  const lx = s.cos * dx + s.sin * dy, ly = -s.sin * dx + s.cos * dy;
  const q = Math.sqrt(lx * lx * s.ia2 + ly * ly * s.ib2);
  const grad = Math.sqrt(lx * lx * s.ia2 * s.ia2 + ly * ly * s.ib2 * s.ib2);
  if (q < 1e-6 || grad < 1e-12) return -Math.min(s.a, s.b);
  return (q * (q - 1)) / grad;
}

/** Blob `b` inside organ `about`, moved and resized with the organ. */
function scaled(b: Blob, about: Blob, scale: number, value: number): Shape {
  return shape(about.x + (b.x - about.x) * scale, about.y + (b.y - about.y) * scale, b.a * scale, b.b * scale, b.angle, value);
}

function own(b: Blob, scale = 1): Shape {
  return shape(b.x, b.y, b.a * scale, b.b * scale, b.angle, b.value);
}

/** Layers in painting order (later ones cover earlier ones) for base-apex fraction z. */
export function sceneShapes(p: PatientSpec, z: number): Shape[] {
  const { body, contrast: c } = p;
  const out: Shape[] = [];
  const [bx, by] = body.center;
  const inset1 = body.fatThickness, inset2 = body.fatThickness + body.muscleThickness;
  out.push(shape(bx, by, body.halfWidth, body.halfDepth, body.angle, c.fat));
  out.push(shape(bx, by, body.halfWidth - inset1, body.halfDepth - inset1, body.angle, c.muscle));
  out.push(shape(bx, by, body.halfWidth - inset2, body.halfDepth - inset2, body.angle, c.soft));
  // Towards the apex the slices approach the diaphragm: lungs shrink, liver and stomach grow.
  const lungScale = 1 - 0.45 * z;
  for (const lung of body.lungs) {
    out.push(shape(lung.x, lung.y, lung.a * lungScale, lung.b * lungScale, lung.angle, c.lung));
    for (const v of body.lungVessels) {
      if (Math.hypot(v.x - lung.x, v.y - lung.y) < 0.8 * Math.min(lung.a, lung.b)) out.push(scaled(v, lung, lungScale, v.value));
    }
  }
  const liverScale = 0.55 + 0.5 * z;
  out.push(shape(body.liver.x, body.liver.y, body.liver.a * liverScale, body.liver.b * liverScale, body.liver.angle, c.liver));
  for (const v of body.liverVessels) out.push(scaled(v, body.liver, liverScale, v.value));
  if (body.stomach && z > 0.35) out.push(own(body.stomach, Math.min(1, (z - 0.3) / 0.5)));
  if (z > 0.3) for (const a of body.abdomen) out.push(own(a));
  for (const f of body.fatPatches) out.push(shape(f.x, f.y, f.a, f.b, f.angle, f.value * c.fat));
  out.push(own(body.spine), own(body.canal), own(body.aorta));
  if (z < 0.3) for (const v of body.greatVessels) out.push(own(v, 1 - z));
  return out;
}
