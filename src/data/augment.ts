// augment.ts owns training-time sample rendering: ONE fused inverse warp per sample that maps each
// output pixel (training size, target spacing) back to the original slice through: elastic
// displacement (optional) -> inverse of (rotation . scale . flips . affine jitter) -> random crop
// shift -> the slice's own spacing. So resampling, geometric augmentation and cropping cost one
// pass: bilinear for the image (with normalisation, gamma and noise fused in), nearest for labels.
// Everything random is drawn from the Random passed in: a sample is a pure function of its seed.
import { Random, standardNormalTable } from "../util/random.js";
import type { IntensityStats } from "./normalize.js";

/** A slice ready for rendering: original grid, task labels, intensity stats computed once. */
export interface TrainSlice {
  readonly id: string;
  readonly image: Float32Array;
  readonly label: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly spacing: readonly [number, number];
  readonly stats: IntensityStats;
}

export interface AugmentOptions {
  /** Uniform isotropic zoom range (default [0.75, 1.25]). */
  readonly scale?: readonly [number, number];
  /** Rotation drawn uniformly in ±rotationDeg (default 180). */
  readonly rotationDeg?: number;
  /** Probabilities of a left-right / up-down flip (default 0.5 each). */
  readonly flipX?: number;
  readonly flipY?: number;
  /** Each element of the 2x2 linear part gets ±affineJitter (uniform; default 0.05). */
  readonly affineJitter?: number;
  /** Elastic deformation on a coarse control grid, cubic B-spline upsampled (default off). */
  readonly elastic?: { readonly probability: number; readonly gridSize?: number; readonly sigmaMm?: number };
  /** Gamma on intensities mapped to [0, 1] (default probability 0.3, range [0.7, 1.5]). */
  readonly gamma?: { readonly probability: number; readonly range?: readonly [number, number] };
  /** Additive Gaussian noise in normalised units (default probability 0.15, std up to 0.1). */
  readonly noise?: { readonly probability: number; readonly maxStd?: number };
  /** Random crop position (default true); false = centred. */
  readonly randomCrop?: boolean;
}

/** The random draws of one sample, kept apart from rendering so tests can render fixed warps. */
export interface WarpParams {
  /** Inverse linear map, output mm -> source mm, row-major [a b; c d]. */
  readonly inverse: readonly [number, number, number, number];
  /** Source position (mm from the slice centre) that lands on the output centre. */
  readonly shiftX: number;
  readonly shiftY: number;
  /** Control-grid displacements in output mm: gridSize^2 x-values then gridSize^2 y-values. */
  readonly elastic?: { readonly gridSize: number; readonly displacements: Float32Array };
  readonly gamma: number;
  readonly noiseStd: number;
}

export interface RenderTarget {
  readonly width: number;
  readonly height: number;
  /** mm per output pixel. */
  readonly spacing: number;
}

export const IDENTITY_WARP: WarpParams = { inverse: [1, 0, 0, 1], shiftX: 0, shiftY: 0, gamma: 1, noiseStd: 0 };

export function sampleWarp(src: TrainSlice, target: RenderTarget, opts: AugmentOptions, rng: Random): WarpParams {
  const [s0, s1] = opts.scale ?? [0.75, 1.25];
  const scale = rng.uniform(s0, s1);
  const rot = ((opts.rotationDeg ?? 180) * Math.PI / 180) * (2 * rng.next() - 1);
  const fx = rng.chance(opts.flipX ?? 0.5) ? -1 : 1;
  const fy = rng.chance(opts.flipY ?? 0.5) ? -1 : 1;
  const j = opts.affineJitter ?? 0.05;
  const jit = [rng.uniform(-j, j), rng.uniform(-j, j), rng.uniform(-j, j), rng.uniform(-j, j)];
  // Forward (source mm -> output mm): R(rot) . scale . (I + jitter) . Flip.
  const c = Math.cos(rot), s = Math.sin(rot);
  const m0 = (1 + jit[0]) * fx, m1 = jit[1] * fy, m2 = jit[2] * fx, m3 = (1 + jit[3]) * fy;
  const f = [scale * (c * m0 - s * m2), scale * (c * m1 - s * m3), scale * (s * m0 + c * m2), scale * (s * m1 + c * m3)];
  const det = f[0] * f[3] - f[1] * f[2];
  const inverse: [number, number, number, number] = [f[3] / det, -f[1] / det, -f[2] / det, f[0] / det];
  // Random crop: the output window (W*t/scale mm of source) anywhere inside the slice.
  const spanX = Math.max(0, (src.width * src.spacing[0] - (target.width * target.spacing) / scale) / 2);
  const spanY = Math.max(0, (src.height * src.spacing[1] - (target.height * target.spacing) / scale) / 2);
  const crop = opts.randomCrop ?? true;
  const shiftX = crop ? rng.uniform(-spanX, spanX) : 0;
  const shiftY = crop ? rng.uniform(-spanY, spanY) : 0;
  let elastic: WarpParams["elastic"];
  if (opts.elastic && rng.chance(opts.elastic.probability)) {
    const g = Math.max(2, Math.floor(opts.elastic.gridSize ?? 5));
    const sigma = opts.elastic.sigmaMm ?? 4;
    const displacements = new Float32Array(2 * g * g);
    for (let i = 0; i < displacements.length; i++) displacements[i] = sigma * rng.normal();
    elastic = { gridSize: g, displacements };
  }
  const gOpt = opts.gamma ?? { probability: 0.3 };
  const [g0, g1] = gOpt.range ?? [0.7, 1.5];
  const gamma = rng.chance(gOpt.probability) ? rng.uniform(g0, g1) : 1;
  const nOpt = opts.noise ?? { probability: 0.15 };
  const noiseStd = rng.chance(nOpt.probability) ? rng.uniform(0, nOpt.maxStd ?? 0.1) : 0;
  return { inverse, shiftX, shiftY, elastic, gamma, noiseStd };
}

// Per-pixel Math.pow and Box-Muller cost ~6 and ~10 ms per 256x256 sample; a gamma lookup table
// (linear interpolation, error < 1e-4 of the range for gamma in [0.7, 1.5]) and the shared table
// of 2^16 standard-normal quantiles (src/util/random.ts), indexed by one random draw per pixel,
// make both negligible.
const GAMMA_LUT_SIZE = 4096;

function gammaLut(gamma: number): Float32Array {
  return Float32Array.from({ length: GAMMA_LUT_SIZE + 1 }, (_, i) => Math.pow(i / GAMMA_LUT_SIZE, gamma));
}

/** Uniform cubic B-spline taps (4 control indices, clamped, and weights) per output index. */
function splineTaps(n: number, grid: number): { idx: Int32Array; w: Float32Array } {
  const idx = new Int32Array(4 * n), w = new Float32Array(4 * n);
  for (let u = 0; u < n; u++) {
    const g = n > 1 ? (u / (n - 1)) * (grid - 1) : 0;
    const i = Math.min(Math.floor(g), grid - 2), t = g - i, t2 = t * t, t3 = t2 * t;
    const ws = [(1 - t) ** 3 / 6, (3 * t3 - 6 * t2 + 4) / 6, (-3 * t3 + 3 * t2 + 3 * t + 1) / 6, t3 / 6];
    for (let k = 0; k < 4; k++) {
      idx[4 * u + k] = Math.min(grid - 1, Math.max(0, i - 1 + k));
      w[4 * u + k] = ws[k];
    }
  }
  return { idx, w };
}

/** Elastic displacement rows for output row v: per control column, the y-blended x and y values. */
function blendRow(e: NonNullable<WarpParams["elastic"]>, ty: { idx: Int32Array; w: Float32Array }, v: number, rowX: Float32Array, rowY: Float32Array): void {
  const g = e.gridSize, d = e.displacements, off = g * g;
  rowX.fill(0);
  rowY.fill(0);
  for (let k = 0; k < 4; k++) {
    const r = ty.idx[4 * v + k] * g, wk = ty.w[4 * v + k];
    for (let i = 0; i < g; i++) {
      rowX[i] += wk * d[r + i];
      rowY[i] += wk * d[off + r + i];
    }
  }
}

/**
 * Render `src` through `p` into outImage/outLabel at `offset` (target.width x target.height each).
 * Outside the slice: the image gets the normalised low clip ("air"), the label 0.
 */
export function renderSample(
  src: TrainSlice, p: WarpParams, target: RenderTarget, outImage: Float32Array, outLabel: Uint8Array, offset: number, rng?: Random,
): void {
  const { width: W, height: H, spacing: t } = target;
  const { width: w, height: h, image, label, stats } = src;
  const [sx, sy] = src.spacing;
  const [a, b, c, d] = p.inverse;
  // Output pixel (u, v) -> source pixel (x, y) = A . (u, v, 1) + B . elastic(u, v).
  const b00 = a / sx, b01 = b / sx, b10 = c / sy, b11 = d / sy;
  const a00 = b00 * t, a01 = b01 * t, a10 = b10 * t, a11 = b11 * t;
  const cu = (W - 1) / 2, cv = (H - 1) / 2;
  const a02 = -(a00 * cu + a01 * cv) + p.shiftX / sx + (w - 1) / 2;
  const a12 = -(a10 * cu + a11 * cv) + p.shiftY / sy + (h - 1) / 2;
  const range = stats.hi - stats.lo;
  const lut = p.gamma !== 1 && range > 0 ? gammaLut(p.gamma) : undefined;
  const air = (stats.lo - stats.mean) / stats.std;
  const e = p.elastic;
  const tx = e ? splineTaps(W, e.gridSize) : undefined, ty = e ? splineTaps(H, e.gridSize) : undefined;
  const rowX = new Float32Array(e ? e.gridSize : 0), rowY = new Float32Array(e ? e.gridSize : 0);
  for (let v = 0; v < H; v++) {
    if (e && ty) blendRow(e, ty, v, rowX, rowY);
    let o = offset + v * W;
    for (let u = 0; u < W; u++, o++) {
      let x = a00 * u + a01 * v + a02, y = a10 * u + a11 * v + a12;
      if (e && tx) {
        let dx = 0, dy = 0;
        for (let k = 0; k < 4; k++) {
          const i = tx.idx[4 * u + k], wk = tx.w[4 * u + k];
          dx += wk * rowX[i];
          dy += wk * rowY[i];
        }
        x += b00 * dx + b01 * dy;
        y += b10 * dx + b11 * dy;
      }
      if (!(x >= -0.5 && x < w - 0.5 && y >= -0.5 && y < h - 0.5)) {
        outImage[o] = air;
        outLabel[o] = 0;
        continue;
      }
      outLabel[o] = label[Math.floor(y + 0.5) * w + Math.floor(x + 0.5)];
      const xc = x < 0 ? 0 : x > w - 1 ? w - 1 : x, yc = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
      const x0 = Math.min(Math.floor(xc), w - 2 < 0 ? 0 : w - 2), y0 = Math.min(Math.floor(yc), h - 2 < 0 ? 0 : h - 2);
      const fx = xc - x0, fy = yc - y0;
      const x1 = x0 + 1 < w ? x0 + 1 : x0, i0 = y0 * w, i1 = y0 + 1 < h ? i0 + w : i0;
      const top = image[i0 + x0] + fx * (image[i0 + x1] - image[i0 + x0]);
      const bot = image[i1 + x0] + fx * (image[i1 + x1] - image[i1 + x0]);
      let val = top + fy * (bot - top);
      val = val < stats.lo ? stats.lo : val > stats.hi ? stats.hi : val;
      if (lut) {
        const q = ((val - stats.lo) / range) * GAMMA_LUT_SIZE, qi = Math.min(Math.floor(q), GAMMA_LUT_SIZE - 1);
        val = stats.lo + range * (lut[qi] + (q - qi) * (lut[qi + 1] - lut[qi]));
      }
      outImage[o] = (val - stats.mean) / stats.std;
    }
  }
  if (p.noiseStd > 0 && rng) {
    const end = offset + W * H, table = standardNormalTable();
    for (let o = offset; o < end; o++) outImage[o] += p.noiseStd * table[rng.nextUint32() >>> 16];
  }
}
