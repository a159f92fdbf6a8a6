// render.ts owns turning the geometry of one slice into pixels: analytic edge coverage (each
// shape's signed distance gives the fraction of a pixel it covers, i.e. partial volume without
// supersampling), labels at pixel centres, then the imaging chain: tissue texture, a point-spread
// blur, a smooth coil bias field and Rician noise.
import type { PatientSpec } from "./spec.js";
import { lookup, type HeartSlice } from "./heart.js";
import { ellipseDistance, ellipseQ2, shape, type Shape } from "./scene.js";
import { fillNormal, type Random } from "./random.js";

export const LABEL = { background: 0, rv: 1, myo: 2, lv: 3 } as const;

/** Pixel-centre positions (mm) of a size x size grid centred on the image centre. */
export function pixelCentres(size: number, pixel: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = (i - (size - 1) / 2) * pixel;
  return out;
}

/** Running state of one pixel while layers are painted over it. */
interface Paint {
  value: number;
  label: number;
}

/** Fraction of a pixel covered by a shape whose outline is at signed distance d (mm, < 0 inside). */
function coverage(d: number, pixel: number): number {
  return Math.max(0, Math.min(1, 0.5 - d / pixel));
}

function paint(p: Paint, d: number, value: number, label: number | null, pixel: number): void {
  const cover = coverage(d, pixel);
  if (cover <= 0) return;
  p.value += (value - p.value) * cover;
  if (label !== null && d < 0) p.label = label;
}

/** The heart slice with its RV ellipses prepared once per slice rather than per pixel. */
interface PreparedHeart {
  readonly h: HeartSlice;
  readonly rvCavity: Shape | null;
  readonly rvOuter: Shape | null;
  readonly blood: number;
}

function prepareHeart(h: HeartSlice, spec: PatientSpec): PreparedHeart {
  const c = spec.contrast, flow = h.phase === "ES" ? c.esBlood : 1;
  if (!h.rv) return { h, rvCavity: null, rvOuter: null, blood: c.blood * flow };
  const rv = h.rv;
  return {
    h,
    blood: c.blood * flow,
    rvCavity: shape(rv.x, rv.y, rv.a, rv.b, rv.angle, c.rvBlood * flow),
    rvOuter: shape(rv.x, rv.y, rv.a + h.rvWall, rv.b + h.rvWall, rv.angle, c.myo * 1.1),
  };
}

function paintHeart(p: Paint, ph: PreparedHeart, spec: PatientSpec, x: number, y: number, pixel: number): void {
  const h = ph.h;
  const dx = x - h.x, dy = y - h.y;
  const r = Math.sqrt(dx * dx + dy * dy);
  if (r > h.reach + pixel) return;
  const t = Math.atan2(dy, dx);
  const c = spec.contrast;
  const dEpi = r - lookup(h.epi, t);
  const dRvOuter = ph.rvOuter ? ellipseDistance(ph.rvOuter, x, y) : Infinity;
  paint(p, Math.min(dEpi, dRvOuter) - lookup(h.fat, t), c.fat, LABEL.background, pixel);
  if (ph.rvOuter && ph.rvCavity) {
    paint(p, dRvOuter, ph.rvOuter.value, LABEL.background, pixel);
    paint(p, ellipseDistance(ph.rvCavity, x, y), ph.rvCavity.value, LABEL.rv, pixel);
  }
  paint(p, dEpi, c.myo, LABEL.myo, pixel);
  paint(p, r - lookup(h.endo, t), ph.blood, LABEL.lv, pixel);
  // Papillary muscles are dark but, as in ACDC, belong to the cavity label.
  for (const m of h.papillary) paint(p, Math.hypot(x - m.x, y - m.y) - m.r, c.myo, null, pixel);
}

/** Body-frame position of every pixel centre, and how far (mm) a warp may have moved any of them. */
export interface Coordinates {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly slack: number;
}

type Warp = readonly (readonly [number, number, number, number, number])[];

/** Body-frame coordinates (mm) of every pixel centre: the image is rotated and shifted against the body, then bent by `warp`. */
export function bodyCoordinates(spec: PatientSpec, warp: Warp, base?: Coordinates): Coordinates {
  const { size, pixel, viewAngle, viewShift } = spec.acquisition;
  const centres = pixelCentres(size, pixel);
  const cos = Math.cos(viewAngle), sin = Math.sin(viewAngle);
  const x = new Float64Array(size * size), y = new Float64Array(size * size);
  for (let j = 0; j < size; j++) {
    const v = centres[j] - viewShift[1];
    for (let i = 0; i < size; i++) {
      const u = centres[i] - viewShift[0], n = j * size + i;
      x[n] = base ? base.x[n] : cos * u + sin * v;
      y[n] = base ? base.y[n] : -sin * u + cos * v;
    }
  }
  let slack = base ? base.slack : 0;
  for (const [kx, ky, ph, dx, dy] of warp) {
    slack += Math.hypot(dx, dy);
    for (let n = 0; n < size * size; n++) {
      const c = Math.cos(kx * x[n] + ky * y[n] + ph);
      x[n] += dx * c;
      y[n] += dy * c;
    }
  }
  return { x, y, slack };
}

/** Pixel index box [i0, i1] x [j0, j1] (clipped) that holds a circle of radius r around body point (x, y). */
function pixelBox(spec: PatientSpec, x: number, y: number, r: number): [number, number, number, number] {
  const { size, pixel, viewAngle, viewShift } = spec.acquisition;
  const cos = Math.cos(viewAngle), sin = Math.sin(viewAngle);
  const ci = (cos * x - sin * y + viewShift[0]) / pixel + (size - 1) / 2;
  const cj = (sin * x + cos * y + viewShift[1]) / pixel + (size - 1) / 2;
  const h = r / pixel + 1;
  const clip = (v: number): number => Math.max(0, Math.min(size - 1, v));
  return [clip(Math.floor(ci - h)), clip(Math.ceil(ci + h)), clip(Math.floor(cj - h)), clip(Math.ceil(cj + h))];
}

/**
 * Paints one slice into img/lab (size*size values at `offset`), before the imaging chain. Shapes
 * are painted one after the other over their bounding boxes only, which keeps the painter's order
 * per pixel while skipping the (many) pixels a small shape cannot reach.
 */
export function paintSlice(spec: PatientSpec, organs: Coordinates, heartCoords: Coordinates, shapes: readonly Shape[], heart: HeartSlice, img: Float32Array, lab: Uint8Array, offset: number): void {
  const { size, pixel } = spec.acquisition;
  img.fill(spec.contrast.air, offset, offset + size * size);
  lab.fill(LABEL.background, offset, offset + size * size);
  for (const s of shapes) {
    const margin = pixel / Math.min(s.a, s.b);
    // Beyond these implicit radii a pixel is surely fully outside / inside the shape.
    const outside = (1 + margin) ** 2, inside = margin < 1 ? (1 - margin) ** 2 : -1;
    const [i0, i1, j0, j1] = pixelBox(spec, s.x, s.y, s.bound + pixel + organs.slack);
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const n = j * size + i, x = organs.x[n], y = organs.y[n], q2 = ellipseQ2(s, x, y);
        if (q2 >= outside) continue;
        if (q2 <= inside) img[offset + n] = s.value;
        else img[offset + n] += (s.value - img[offset + n]) * coverage(ellipseDistance(s, x, y), pixel);
      }
    }
  }
  const prepared = prepareHeart(heart, spec);
  const p: Paint = { value: 0, label: 0 };
  const [i0, i1, j0, j1] = pixelBox(spec, heart.x, heart.y, heart.reach + pixel + heartCoords.slack);
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1; i++) {
      const n = j * size + i;
      p.value = img[offset + n];
      p.label = lab[offset + n];
      paintHeart(p, prepared, spec, heartCoords.x[n], heartCoords.y[n], pixel);
      img[offset + n] = p.value;
      lab[offset + n] = p.label;
    }
  }
}

/** Sum of plane waves plus a linear ramp over the image (separable: cos(a+b) = cos a cos b - sin a sin b). */
function waveField(size: number, centres: Float64Array, waves: readonly (readonly [number, number, number, number])[], phase: number, gradient: readonly [number, number]): Float64Array {
  const field = new Float64Array(size * size);
  for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) field[j * size + i] = gradient[0] * centres[i] + gradient[1] * centres[j];
  const cu = new Float64Array(size), su = new Float64Array(size), cv = new Float64Array(size), sv = new Float64Array(size);
  for (const [kx, ky, ph, amp] of waves) {
    for (let i = 0; i < size; i++) { cu[i] = amp * Math.cos(kx * centres[i]); su[i] = amp * Math.sin(kx * centres[i]); }
    for (let j = 0; j < size; j++) { cv[j] = Math.cos(ky * centres[j] + ph + phase); sv[j] = Math.sin(ky * centres[j] + ph + phase); }
    for (let j = 0; j < size; j++) {
      const c = cv[j], s = sv[j], row = j * size;
      for (let i = 0; i < size; i++) field[row + i] += cu[i] * c - su[i] * s;
    }
  }
  return field;
}

/** The coil's smooth multiplicative sensitivity, the same for every slice and frame of a case. */
export function biasField(spec: PatientSpec): Float32Array {
  const a = spec.acquisition;
  const field = waveField(a.size, pixelCentres(a.size, a.pixel), a.biasWaves, 0, a.biasGradient);
  return Float32Array.from(field, Math.exp);
}

/** [1 2 1]/4 blur along both axes: the scanner's point-spread function smearing edges. */
function blur(img: Float32Array, offset: number, size: number): void {
  const tmp = new Float32Array(size * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const l = img[offset + j * size + Math.max(0, i - 1)], r = img[offset + j * size + Math.min(size - 1, i + 1)];
      tmp[j * size + i] = 0.25 * l + 0.5 * img[offset + j * size + i] + 0.25 * r;
    }
  }
  for (let j = 0; j < size; j++) {
    const up = Math.max(0, j - 1) * size, down = Math.min(size - 1, j + 1) * size;
    for (let i = 0; i < size; i++) img[offset + j * size + i] = 0.25 * tmp[up + i] + 0.5 * tmp[j * size + i] + 0.25 * tmp[down + i];
  }
}

/**
 * Tissue texture as two quadrature fields (C = sum of amp*cos, S = sum of amp*sin): the texture of
 * slice k is cos(f)*C - sin(f)*S, i.e. every wave shifted by phase f, without recomputing waves.
 */
export function textureFields(spec: PatientSpec): readonly [Float64Array, Float64Array] {
  const a = spec.acquisition, centres = pixelCentres(a.size, a.pixel);
  const c = waveField(a.size, centres, a.textureWaves, 0, [0, 0]);
  const s = waveField(a.size, centres, a.textureWaves, -Math.PI / 2, [0, 0]);
  return [c, s];
}

/** Texture, blur, bias, Rician noise and scaling of one painted slice (blood = 1 on entry). */
export function imageSlice(spec: PatientSpec, img: Float32Array, offset: number, sliceIndex: number, texture: readonly [Float64Array, Float64Array], bias: Float32Array, rng: Random): void {
  const a = spec.acquisition, n = a.size * a.size;
  const cf = Math.cos(1.7 * sliceIndex), sf = Math.sin(1.7 * sliceIndex);
  for (let p = 0; p < n; p++) img[offset + p] *= 1 + cf * texture[0][p] - sf * texture[1][p];
  blur(img, offset, a.size);
  const noise = new Float32Array(2 * n);
  fillNormal(rng, noise);
  const sigma = 1 / a.snr;
  for (let p = 0; p < n; p++) {
    const re = img[offset + p] * bias[p] + sigma * noise[2 * p], im = sigma * noise[2 * p + 1];
    img[offset + p] = Math.sqrt(re * re + im * im) * a.scale;
  }
}
