// body.ts owns the random draw of everything around the heart: chest wall, lungs, liver, stomach,
// spine, aorta, great vessels, abdominal blobs and fat, placed in the body frame whose origin is
// the LV centre (anterior -y, RV towards -x).
import type { Random } from "./random.js";
import type { Blob, BodySpec } from "./spec.js";

function blob(rng: Random, x: number, y: number, a: number, b: number, value: number): Blob {
  return { x, y, a, b, angle: rng.uniform(0, Math.PI), value };
}

function scatter(rng: Random, around: Blob, count: number, radius: [number, number], value: [number, number]): Blob[] {
  const out: Blob[] = [];
  for (let n = 0; n < count; n++) {
    const r = Math.sqrt(rng.next()) * 0.85, t = rng.uniform(0, 2 * Math.PI);
    const lx = r * around.a * Math.cos(t), ly = r * around.b * Math.sin(t);
    const c = Math.cos(around.angle), s = Math.sin(around.angle);
    const rad = rng.uniform(radius[0], radius[1]);
    out.push(blob(rng, around.x + c * lx - s * ly, around.y + s * lx + c * ly, rad, rad * rng.uniform(0.6, 1), rng.uniform(value[0], value[1])));
  }
  return out;
}

function inside(b: Blob, px: number, py: number): boolean {
  const c = Math.cos(b.angle), s = Math.sin(b.angle), dx = px - b.x, dy = py - b.y;
  const lx = c * dx + s * dy, ly = -s * dx + c * dy;
  return (lx / b.a) ** 2 + (ly / b.b) ** 2 <= 1;
}

/** Shrinks `b` about its centre (moving it towards the container's centre) until it lies inside `container`. */
function fitInside(b: Blob, container: Blob): Blob {
  let cur = b;
  for (let step = 0; step < 40; step++) {
    let ok = inside(container, cur.x, cur.y);
    for (let k = 0; k < 24 && ok; k++) {
      const t = (2 * Math.PI * k) / 24, c = Math.cos(cur.angle), s = Math.sin(cur.angle);
      const lx = cur.a * Math.cos(t), ly = cur.b * Math.sin(t);
      ok = inside(container, cur.x + c * lx - s * ly, cur.y + s * lx + c * ly);
    }
    if (ok) return cur;
    cur = { ...cur, x: container.x + (cur.x - container.x) * 0.95, y: container.y + (cur.y - container.y) * 0.95, a: cur.a * 0.98, b: cur.b * 0.98 };
  }
  return cur;
}

/** Organs around a heart of epicardial radius `epi` (mm). */
export function drawBody(rng: Random, epi: number): BodySpec {
  const halfWidth = rng.uniform(150, 195), halfDepth = rng.uniform(105, 135);
  const top = -(epi + rng.uniform(18, 40));
  const center: [number, number] = [rng.uniform(-30, 30), top + halfDepth];
  const backY = center[1] + halfDepth;
  const inner: Blob = { x: center[0], y: center[1], a: halfWidth - 20, b: halfDepth - 20, angle: 0, value: 0 };
  const lungs = [
    blob(rng, epi + rng.uniform(45, 75), rng.uniform(-25, 15), rng.uniform(50, 75), rng.uniform(60, 90), 0),
    blob(rng, -(epi + rng.uniform(35, 55)), rng.uniform(0, 30), rng.uniform(30, 45), rng.uniform(45, 70), 0),
  ].map((l) => fitInside(l, inner));
  const liver = blob(rng, rng.uniform(-50, 10), epi + rng.uniform(45, 70), rng.uniform(70, 100), rng.uniform(40, 60), 0);
  const spine = blob(rng, center[0] + rng.uniform(-15, 15), backY - rng.uniform(30, 40), rng.uniform(14, 18), rng.uniform(14, 18), rng.uniform(0.3, 0.45));
  const aortaR = rng.uniform(9, 13);
  const stomach = rng.chance(0.6)
    ? blob(rng, rng.uniform(40, 80), epi + rng.uniform(30, 60), rng.uniform(20, 40), rng.uniform(15, 30), rng.chance(0.5) ? rng.uniform(0.7, 1.0) : rng.uniform(0.03, 0.1))
    : null;
  const abdomenZone: Blob = { x: center[0], y: epi + 60, a: halfWidth * 0.7, b: 45, angle: 0, value: 0 };
  return {
    center,
    halfWidth,
    halfDepth,
    angle: rng.uniform(-0.25, 0.25),
    fatThickness: rng.uniform(6, 18),
    muscleThickness: rng.uniform(6, 14),
    lungs,
    lungVessels: lungs.flatMap((l) => scatter(rng, l, rng.int(4, 10), [1, 2.5], [0.35, 0.8])),
    liver,
    liverVessels: scatter(rng, liver, rng.int(2, 6), [2, 4.5], [0.75, 1.0]),
    stomach,
    spine,
    canal: blob(rng, spine.x, spine.y + spine.b * 0.55, 5, 4, rng.uniform(0.7, 0.95)),
    aorta: blob(rng, spine.x + rng.uniform(-35, -20), spine.y - rng.uniform(20, 30), aortaR, aortaR * rng.uniform(0.9, 1), rng.uniform(0.85, 1.05)),
    greatVessels: [
      blob(rng, epi * rng.uniform(0.2, 0.6), -epi - rng.uniform(5, 15), rng.uniform(11, 15), rng.uniform(10, 14), rng.uniform(0.85, 1.05)),
      blob(rng, -epi * rng.uniform(0.4, 0.8), -epi - rng.uniform(8, 18), rng.uniform(10, 14), rng.uniform(9, 13), rng.uniform(0.8, 1.0)),
    ],
    abdomen: scatter(rng, abdomenZone, rng.int(3, 9), [4, 12], [0.45, 1.05]),
    fatPatches: [
      ...scatter(rng, abdomenZone, rng.int(2, 7), [6, 18], [0.8, 1.05]),
      ...scatter(rng, { x: 0, y: -epi - 10, a: 60, b: 20, angle: 0, value: 0 }, rng.int(1, 4), [5, 12], [0.8, 1.05]),
    ],
  };
}
