// anatomy.ts owns the random draw of one synthetic patient: its pathology group, heart shape and
// motion, contrast and acquisition (spacing, slices, noise); body.ts draws the organs around. All
// downstream (heart.ts, scene.ts, render.ts) is a pure function of the PatientSpec drawn here.
import type { Random } from "./random.js";
import { drawBody } from "./body.js";
import type { Acquisition, Contrast, Group, HeartSpec, Infarct, PatientSpec } from "./spec.js";

export function drawPatient(rng: Random, group: Group, size: number): PatientSpec {
  const heart = drawHeart(rng, group);
  const epi = heart.lvRadius + heart.wall;
  return {
    group,
    height: Math.round(rng.uniform(150, 192)),
    weight: Math.round(rng.uniform(48, 110)),
    heart,
    body: drawBody(rng, epi),
    contrast: drawContrast(rng),
    acquisition: drawAcquisition(rng, size),
  };
}

function harmonics(rng: Random, orders: number, amp: number): [number, number][] {
  const out: [number, number][] = [];
  for (let n = 0; n < orders; n++) out.push([rng.uniform(0, amp), rng.uniform(0, 2 * Math.PI)]);
  return out;
}

/** Group-specific ranges, then shared jitter: sizes match the ACDC percentiles (test/fixtures/synth). */
function drawHeart(rng: Random, group: Group): HeartSpec {
  const g = {
    NOR: { r: [22, 28], t: [7.5, 10.5], ef: [0.55, 0.68], rv: [0.95, 1.15], rvEf: [0.45, 0.6] },
    DCM: { r: [29, 37], t: [6, 8], ef: [0.23, 0.38], rv: [1.0, 1.2], rvEf: [0.3, 0.5] },
    HCM: { r: [19, 24], t: [11, 15], ef: [0.6, 0.67], rv: [0.9, 1.1], rvEf: [0.5, 0.65] },
    MINF: { r: [26, 33], t: [7.5, 10], ef: [0.25, 0.42], rv: [0.95, 1.15], rvEf: [0.35, 0.55] },
    RV: { r: [21, 27], t: [7.5, 10], ef: [0.45, 0.62], rv: [1.35, 1.7], rvEf: [0.22, 0.4] },
  }[group];
  const rvAngle = Math.PI + rng.uniform(-0.35, 0.35);
  const rvScale = rng.uniform(g.rv[0], g.rv[1]);
  const infarct: Infarct | null = group === "MINF"
    ? { angle: rvAngle + rng.uniform(0.9, 2 * Math.PI - 0.9), width: rng.uniform(0.35, 0.6), depth: rng.uniform(0.45, 0.6) }
    : null;
  return {
    lvRadius: rng.uniform(g.r[0], g.r[1]),
    wall: rng.uniform(g.t[0], g.t[1]),
    wallHarmonics: harmonics(rng, 3, 0.12),
    endoHarmonics: harmonics(rng, 3, 0.05),
    septalBulge: group === "HCM" ? rng.uniform(0.2, 0.6) : rng.uniform(0, 0.1),
    infarct,
    ef: rng.uniform(g.ef[0], g.ef[1]),
    rvEf: rng.uniform(g.rvEf[0], g.rvEf[1]),
    rvAlong: 0.55 * rvScale * rng.uniform(0.85, 1.15),
    rvAcross: 1.3 * rvScale * rng.uniform(0.9, 1.1),
    rvOffset: rng.uniform(-0.25, 0.15),
    rvWall: rng.uniform(2, 3.5),
    rvEnd: rng.uniform(0.72, 0.92),
    rvAngle,
    papillary: [
      [rng.uniform(1.8, 2.4), rng.uniform(2.5, 4.5)],
      [rng.uniform(3.9, 4.5), rng.uniform(2.5, 4.5)],
    ],
    trabeculae: Array.from({ length: rng.int(5, 12) }, () => [rng.uniform(-Math.PI, Math.PI), rng.uniform(0.8, 1.8)] as const),
    // Mostly below zero: the harmonics then leave fat only in patches (grooves), not a full ring.
    fatMean: rng.uniform(-3, 1.5),
    fatHarmonics: harmonics(rng, 3, 4),
    apexShift: [rng.uniform(-6, 6), rng.uniform(-6, 6)],
    esShift: [rng.uniform(-2, 2), rng.uniform(-2, 2)],
  };
}

/** SSFP contrast relative to the LV blood pool (= 1): blood and fat bright, myocardium and muscle dark. */
function drawContrast(rng: Random): Contrast {
  return {
    blood: 1,
    rvBlood: rng.uniform(0.65, 0.9),
    esBlood: rng.uniform(0.72, 0.92),
    myo: 1 / rng.uniform(2.3, 4.3),
    fat: rng.uniform(0.95, 1.4),
    muscle: rng.uniform(0.22, 0.35),
    soft: rng.uniform(0.25, 0.4),
    lung: rng.uniform(0.03, 0.08),
    liver: rng.uniform(0.3, 0.48),
    air: rng.uniform(0.0, 0.02),
  };
}

function waves(rng: Random, count: number, wavelength: [number, number], amp: number): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (let n = 0; n < count; n++) {
    const k = (2 * Math.PI) / rng.uniform(wavelength[0], wavelength[1]), dir = rng.uniform(0, Math.PI);
    out.push([k * Math.cos(dir), k * Math.sin(dir), rng.uniform(0, 2 * Math.PI), rng.uniform(0, amp)]);
  }
  return out;
}

/** Displacement waves whose strain (amplitude x wavenumber) stays below `strain`: a smooth, invertible bend. */
function warpWaves(rng: Random, count: number, wavelength: [number, number], strain: number): [number, number, number, number, number][] {
  return waves(rng, count, wavelength, 1).map(([kx, ky, ph]) => {
    const amp = (rng.uniform(0.3, 1) * strain) / Math.hypot(kx, ky) / count, dir = rng.uniform(0, 2 * Math.PI);
    return [kx, ky, ph, amp * Math.cos(dir), amp * Math.sin(dir)];
  });
}

function drawAcquisition(rng: Random, size: number): Acquisition {
  const sliceGap = rng.chance(0.5) ? 10 : rng.int(5, 9);
  const slices = Math.max(6, Math.min(12, Math.round(rng.uniform(65, 95) / sliceGap) + 1));
  const frames = rng.int(12, 35);
  const pixel = Math.round(rng.uniform(1.3, 1.7) * 1e4) / 1e4;
  const fov = size * pixel;
  // Shift the view at random but keep the heart (about 70 mm from its centre at most) in the image.
  const maxShift = Math.max(0, Math.min(0.15 * fov, fov / 2 - 70));
  return {
    size,
    pixel,
    sliceGap,
    slices,
    zFirst: rng.uniform(0, 0.08),
    zLast: rng.uniform(0.88, 1.0),
    viewAngle: rng.uniform(-Math.PI, Math.PI),
    viewShift: [rng.uniform(-maxShift, maxShift), rng.uniform(-maxShift, maxShift)],
    snr: rng.uniform(8, 30),
    biasGradient: [rng.uniform(-0.8, 0.8) / fov, rng.uniform(-0.8, 0.8) / fov],
    biasWaves: waves(rng, 3, [1.5 * fov, 4 * fov], 0.15),
    warp: warpWaves(rng, 3, [70, 160], 0.25),
    organWarp: warpWaves(rng, 4, [25, 60], 0.5),
    textureWaves: waves(rng, 6, [8, 40], 0.05),
    scale: rng.uniform(180, 420),
    frames,
    esFrame: Math.max(2, Math.round(frames * rng.uniform(0.3, 0.45))),
  };
}
