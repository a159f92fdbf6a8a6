// augment.ts owns what training-time augmentation IS, engine-free (it runs in the prefetch worker):
// the `data.augment` options (nnU-Net's set: rotation, scaling, affine jitter, elastic, mirroring,
// gamma, noise, blur, brightness, contrast, simulated low resolution), the per-sample random draws,
// and the geometry that places a sample's source window on the batch canvas (the 2x3 matrix for
// affine_grid, the crop, the elastic control grid in grid units). Rendering — one affine_grid +
// grid_sample per batch, the intensity transforms as tensor ops — runs on libtorch in
// src/train/augment.ts; nothing here loops over pixels.
//
// Random numbers: a sample's draws are a pure function of its seed (derived from the run's seed, the
// epoch and the sample's position in it by batch.ts), and each transform draws from its own
// sub-stream, so switching one transform on or off leaves every other transform's draws unchanged.
// Per-pixel randomness (the noise image) is drawn on libtorch from a Generator seeded with
// `noiseSeed`, again per sample: a sample never depends on the batch it lands in.
import { deriveSeedPath, Random } from "../util/random.js";
import type { IntensityStats } from "./normalize.js";
import type { IntensityDraw } from "./types.js";

/** A slice ready for training: original grid, task labels, intensity stats computed once. */
export interface TrainSlice {
  readonly id: string;
  readonly image: Float32Array;
  readonly label: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly spacing: readonly [number, number];
  readonly stats: IntensityStats;
}

type Range = [number, number];

/**
 * `data.augment`: every transform has its own probability (per sample) and range. The defaults
 * are what training did before augmentation moved onto libtorch (rotation, scale, jitter, mirror,
 * random crop, gamma, noise); the transforms added with it (elastic, inverted gamma, blur,
 * brightness, contrast, low resolution) are off until switched on. nnU-Net's 2D values are in
 * the comments.
 */
export interface AugmentConfig {
  /** false = resampled centre crops only (no random draws at all). */
  enabled: boolean;
  /** Rotation by an angle uniform in ±maxDeg (nnU-Net: p 0.2, ±180). */
  rotation: { probability: number; maxDeg: number };
  /** Isotropic zoom factor uniform in range (nnU-Net: p 0.2, [0.7, 1.4]). */
  scale: { probability: number; range: Range };
  /** Anisotropic scaling and shear: each element of the 2x2 linear map gets ±max (uniform). */
  affineJitter: { probability: number; max: number };
  /** Displacements N(0, sigmaMm) (clipped at 3 sigma) on a gridSize^2 control grid, upsampled bicubically. */
  elastic: { probability: number; gridSize: number; sigmaMm: number };
  /** Probabilities of a left-right (x) and an up-down (y) flip (nnU-Net: 0.5 each). */
  mirror: { x: number; y: number };
  /** Crop position uniform over the slice (true) or centred (false). */
  randomCrop: boolean;
  /** x^gamma on intensities mapped to [0, 1] between the clip values; the inverted form
   *  1 - (1 - x)^gamma with its own probability (nnU-Net: p 0.3 and 0.1, [0.7, 1.5]). */
  gamma: { probability: number; invertedProbability: number; range: Range };
  /** Additive Gaussian noise, std uniform in [0, maxStd] (normalised units; nnU-Net: p 0.1). */
  noise: { probability: number; maxStd: number };
  /** Gaussian blur, sigma uniform in range, output pixels (nnU-Net: p 0.2, [0.5, 1]). */
  blur: { probability: number; sigma: Range };
  /** Multiplies the normalised image by a factor uniform in range (nnU-Net: p 0.15, [0.75, 1.25]). */
  brightness: { probability: number; range: Range };
  /** (x - mean) * factor + mean, clipped to the sample's range; factor below 1 half of the time
   *  (nnU-Net's ContrastAugmentationTransform: p 0.15, [0.75, 1.25]). */
  contrast: { probability: number; range: Range };
  /** Nearest downsampling by a zoom uniform in range, bicubic back up (nnU-Net: p 0.25, [0.5, 1]). */
  lowResolution: { probability: number; zoom: Range };
  /** Label resampling: "nearest", or "linear" (one-hot, bilinear, argmax; nnU-Net v2's choice). */
  labels: "nearest" | "linear";
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  enabled: true,
  rotation: { probability: 1, maxDeg: 180 },
  scale: { probability: 1, range: [0.75, 1.25] },
  affineJitter: { probability: 1, max: 0.05 },
  elastic: { probability: 0, gridSize: 5, sigmaMm: 4 },
  mirror: { x: 0.5, y: 0.5 },
  randomCrop: true,
  gamma: { probability: 0.3, invertedProbability: 0, range: [0.7, 1.5] },
  noise: { probability: 0.15, maxStd: 0.1 },
  blur: { probability: 0, sigma: [0.5, 1] },
  brightness: { probability: 0, range: [0.75, 1.25] },
  contrast: { probability: 0, range: [0.75, 1.25] },
  lowResolution: { probability: 0, zoom: [0.5, 1] },
  labels: "nearest",
};

/** Options as code passes them: any subset of AugmentConfig, or false for no augmentation. */
export type AugmentOptions = {
  readonly [K in keyof AugmentConfig]?: AugmentConfig[K] extends Range | string | boolean ? AugmentConfig[K] : Partial<AugmentConfig[K]>;
};

/** The full configuration: DEFAULT_AUGMENT overridden field by field by `o`. */
export function resolveAugment(o: AugmentOptions | false | undefined): AugmentConfig {
  if (o === false) return { ...DEFAULT_AUGMENT, enabled: false };
  const out = structuredClone(DEFAULT_AUGMENT) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(o ?? {})) {
    const cur = out[k];
    out[k] = typeof cur === "object" && cur !== null && !Array.isArray(cur) ? { ...cur, ...(v as object) } : v;
  }
  const cfg = out as unknown as AugmentConfig;
  validateAugment(cfg, "augment");
  return cfg;
}

/** Throws naming the field (`where` is its prefix, e.g. "data.augment") for impossible values. */
export function validateAugment(a: AugmentConfig, where: string): void {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new Error(`config: "${where}.${field}" must be ${want}, got ${JSON.stringify(got)}`);
  };
  const probabilities: Array<[string, number]> = [
    ["rotation.probability", a.rotation.probability], ["scale.probability", a.scale.probability],
    ["affineJitter.probability", a.affineJitter.probability], ["elastic.probability", a.elastic.probability],
    ["mirror.x", a.mirror.x], ["mirror.y", a.mirror.y], ["gamma.probability", a.gamma.probability],
    ["gamma.invertedProbability", a.gamma.invertedProbability], ["noise.probability", a.noise.probability],
    ["blur.probability", a.blur.probability], ["brightness.probability", a.brightness.probability],
    ["contrast.probability", a.contrast.probability], ["lowResolution.probability", a.lowResolution.probability],
  ];
  for (const [f, p] of probabilities) if (!(p >= 0 && p <= 1)) bad(f, "a probability in [0, 1]", p);
  const ranges: Array<[string, Range, number, number]> = [
    ["scale.range", a.scale.range, 0, Infinity], ["gamma.range", a.gamma.range, 0, Infinity],
    ["blur.sigma", a.blur.sigma, 0, 10], ["brightness.range", a.brightness.range, 0, Infinity],
    ["contrast.range", a.contrast.range, 0, Infinity], ["lowResolution.zoom", a.lowResolution.zoom, 0, 1],
  ];
  for (const [f, [lo, hi], min, max] of ranges) {
    if (!(lo > min && lo <= hi && hi <= max)) bad(f, `[lo, hi] with ${min} < lo <= hi${max < Infinity ? ` <= ${max}` : ""}`, [lo, hi]);
  }
  if (!(a.rotation.maxDeg >= 0 && a.rotation.maxDeg <= 180)) bad("rotation.maxDeg", "in [0, 180]", a.rotation.maxDeg);
  // Below 0.5 the jittered map stays invertible (its smallest singular value is at least 1 - 2 * max).
  if (!(a.affineJitter.max >= 0 && a.affineJitter.max < 0.5)) bad("affineJitter.max", "in [0, 0.5)", a.affineJitter.max);
  if (!(Number.isInteger(a.elastic.gridSize) && a.elastic.gridSize >= 2 && a.elastic.gridSize <= 64)) {
    bad("elastic.gridSize", "an integer in [2, 64]", a.elastic.gridSize);
  }
  if (!(a.elastic.sigmaMm >= 0)) bad("elastic.sigmaMm", "non-negative", a.elastic.sigmaMm);
  if (!(a.noise.maxStd >= 0)) bad("noise.maxStd", "non-negative", a.noise.maxStd);
  if (a.labels !== "nearest" && a.labels !== "linear") bad("labels", `"nearest" or "linear"`, a.labels);
}

/** The random draws of one sample, kept apart from rendering so tests can render fixed ones. */
export interface SampleDraw extends IntensityDraw {
  /** Linear map output mm -> source mm, row-major [a b; c d]. */
  readonly inverse: readonly [number, number, number, number];
  /** Source position (mm from the slice centre) that lands on the output centre. */
  readonly shiftX: number;
  readonly shiftY: number;
  /** Control-grid displacements in output mm, gridSize^2 x-values then gridSize^2 y-values; or null. */
  readonly elastic: Float32Array | null;
}

export const IDENTITY_DRAW: SampleDraw = {
  inverse: [1, 0, 0, 1], shiftX: 0, shiftY: 0, elastic: null, gamma: 1, gammaInverted: 1, noiseStd: 0, noiseSeed: 0,
  blurSigma: 0, brightness: 1, contrast: 1, lowResZoom: 1,
};

/** The output grid: size in pixels and mm per pixel. */
export interface RenderTarget {
  readonly width: number;
  readonly height: number;
  readonly spacing: number;
}

type SliceShape = Pick<TrainSlice, "width" | "height" | "spacing">;

// One sub-stream per transform (tags are part of the format: changing one changes every draw).
const enum Stream { Rotation = 1, Scale, Jitter, Mirror, Crop, Elastic, Gamma, Noise, Blur, Brightness, Contrast, LowRes, NoisePixels }

/** Elastic control values are clipped here (in sigmas), which bounds the margin a crop needs. */
const ELASTIC_CLIP_SIGMAS = 3;

export function drawSample(src: SliceShape, target: RenderTarget, a: AugmentConfig, sampleSeed: number): SampleDraw {
  if (!a.enabled) return IDENTITY_DRAW;
  const rng = (s: Stream): Random => new Random(deriveSeedPath(sampleSeed, s));
  const rot = rng(Stream.Rotation), sc = rng(Stream.Scale), jt = rng(Stream.Jitter), mi = rng(Stream.Mirror);
  const angle = rot.chance(a.rotation.probability) ? (a.rotation.maxDeg * Math.PI / 180) * rot.uniform(-1, 1) : 0;
  const scale = sc.chance(a.scale.probability) ? sc.uniform(a.scale.range[0], a.scale.range[1]) : 1;
  const j = jt.chance(a.affineJitter.probability) ? a.affineJitter.max : 0;
  const jit = [jt.uniform(-j, j), jt.uniform(-j, j), jt.uniform(-j, j), jt.uniform(-j, j)];
  const fx = mi.chance(a.mirror.x) ? -1 : 1, fy = mi.chance(a.mirror.y) ? -1 : 1;
  // Forward (source mm -> output mm): R(angle) . scale . (I + jitter) . Flip; the draw keeps its inverse.
  const c = Math.cos(angle), s = Math.sin(angle);
  const m0 = (1 + jit[0]) * fx, m1 = jit[1] * fy, m2 = jit[2] * fx, m3 = (1 + jit[3]) * fy;
  const f = [scale * (c * m0 - s * m2), scale * (c * m1 - s * m3), scale * (s * m0 + c * m2), scale * (s * m1 + c * m3)];
  const det = f[0] * f[3] - f[1] * f[2];
  const inverse = [f[3] / det, -f[1] / det, -f[2] / det, f[0] / det] as const;
  // Random crop: the output window (W*t/scale mm of source) anywhere inside the slice.
  const cr = rng(Stream.Crop);
  const spanX = Math.max(0, (src.width * src.spacing[0] - (target.width * target.spacing) / scale) / 2);
  const spanY = Math.max(0, (src.height * src.spacing[1] - (target.height * target.spacing) / scale) / 2);
  const shiftX = a.randomCrop ? cr.uniform(-spanX, spanX) : 0;
  const shiftY = a.randomCrop ? cr.uniform(-spanY, spanY) : 0;
  return {
    inverse, shiftX, shiftY, elastic: drawElastic(a, rng(Stream.Elastic)), ...drawIntensity(a, rng),
    noiseSeed: deriveSeedPath(sampleSeed, Stream.NoisePixels),
  };
}

function drawElastic(a: AugmentConfig, rng: Random): Float32Array | null {
  if (!rng.chance(a.elastic.probability)) return null;
  const g = a.elastic.gridSize, sigma = a.elastic.sigmaMm, clip = ELASTIC_CLIP_SIGMAS;
  const d = new Float32Array(2 * g * g);
  for (let i = 0; i < d.length; i++) d[i] = sigma * Math.max(-clip, Math.min(clip, rng.normal()));
  return d;
}

function drawIntensity(a: AugmentConfig, rng: (s: Stream) => Random): Omit<IntensityDraw, "noiseSeed"> {
  const pick = (s: Stream, p: number, lo: number, hi: number, off: number): number => {
    const r = rng(s);
    return r.chance(p) ? r.uniform(lo, hi) : off;
  };
  const gm = rng(Stream.Gamma);
  const [g0, g1] = a.gamma.range;
  const gammaInverted = gm.chance(a.gamma.invertedProbability) ? gm.uniform(g0, g1) : 1;
  const gamma = gm.chance(a.gamma.probability) ? gm.uniform(g0, g1) : 1;
  const ct = rng(Stream.Contrast);
  let contrast = 1;
  if (ct.chance(a.contrast.probability)) {
    // nnU-Net: half of the draws below 1 and half above, each uniform on its side of the range.
    const [lo, hi] = a.contrast.range;
    contrast = ct.next() < 0.5 && lo < 1 ? ct.uniform(lo, 1) : ct.uniform(Math.max(lo, 1), Math.max(hi, 1));
  }
  return {
    gamma, gammaInverted, contrast,
    noiseStd: pick(Stream.Noise, a.noise.probability, 0, a.noise.maxStd, 0),
    blurSigma: pick(Stream.Blur, a.blur.probability, a.blur.sigma[0], a.blur.sigma[1], 0),
    brightness: pick(Stream.Brightness, a.brightness.probability, a.brightness.range[0], a.brightness.range[1], 1),
    lowResZoom: pick(Stream.LowRes, a.lowResolution.probability, a.lowResolution.zoom[0], a.lowResolution.zoom[1], 1),
  };
}

/** Size of the per-sample canvas (pixels), including a one-pixel border of "air" on every side. */
export interface CanvasSize {
  readonly width: number;
  readonly height: number;
}

/** Where a sample's source window goes and how the output grid reads it. */
export interface SampleGeometry {
  /** affine_grid's 2x3 matrix: output grid [-1, 1]^2 -> canvas grid [-1, 1]^2 (align_corners false). */
  readonly theta: readonly [number, number, number, number, number, number];
  /** The source window copied to canvas pixel (1, 1). */
  readonly x0: number;
  readonly y0: number;
  readonly cropWidth: number;
  readonly cropHeight: number;
  /** Elastic control displacements in canvas grid units (x-values, then y-values), or null. */
  readonly elastic: Float32Array | null;
}

// A bicubic (a = -0.75) interpolant is at most sum|w|^2 = 1.375^2 < 1.9 times its largest control value.
const BICUBIC_OVERSHOOT = 1.9;

export function sampleGeometry(src: SliceShape, d: SampleDraw, target: RenderTarget, canvas: CanvasSize): SampleGeometry {
  const [sx, sy] = src.spacing, [l00, l01, l10, l11] = d.inverse;
  const Wc = canvas.width, Hc = canvas.height;
  const a = (target.width * target.spacing) / 2, b = (target.height * target.spacing) / 2;
  // Output centre in source pixels, and the half-extent of the output window's image there.
  const cx = (src.width - 1) / 2 + d.shiftX / sx, cy = (src.height - 1) / 2 + d.shiftY / sy;
  let hx = (Math.abs(l00) * a + Math.abs(l01) * b) / sx, hy = (Math.abs(l10) * a + Math.abs(l11) * b) / sy;
  let elastic: Float32Array | null = null;
  if (d.elastic) {
    const n = d.elastic.length / 2;
    elastic = new Float32Array(2 * n);
    let mx = 0, my = 0;
    for (let i = 0; i < n; i++) {
      // Output-mm displacement -> source pixels (through the same inverse map) -> canvas grid units.
      const ex = (l00 * d.elastic[i] + l01 * d.elastic[n + i]) / sx, ey = (l10 * d.elastic[i] + l11 * d.elastic[n + i]) / sy;
      mx = Math.max(mx, Math.abs(ex));
      my = Math.max(my, Math.abs(ey));
      elastic[i] = (2 * ex) / Wc;
      elastic[n + i] = (2 * ey) / Hc;
    }
    hx += BICUBIC_OVERSHOOT * mx;
    hy += BICUBIC_OVERSHOOT * my;
  }
  // One pixel beyond the reach on each side keeps bilinear reads off the crop's edge (unless the
  // edge is the slice's own, where blending into air is what is wanted).
  const x0 = clampInt(Math.floor(cx - hx) - 1, 0, src.width), y0 = clampInt(Math.floor(cy - hy) - 1, 0, src.height);
  const x1 = clampInt(Math.ceil(cx + hx) + 2, x0, src.width), y1 = clampInt(Math.ceil(cy + hy) + 2, y0, src.height);
  const cropWidth = Math.min(x1 - x0, Wc - 2), cropHeight = Math.min(y1 - y0, Hc - 2);
  // Canvas pixel of source x: x - x0 + 1; normalised (align_corners false): (2 * X + 1) / Wc - 1.
  const theta = [
    (2 * l00 * a) / (sx * Wc), (2 * l01 * b) / (sx * Wc), (2 * (cx - x0 + 1) + 1) / Wc - 1,
    (2 * l10 * a) / (sy * Hc), (2 * l11 * b) / (sy * Hc), (2 * (cy - y0 + 1) + 1) / Hc - 1,
  ] as const;
  return { theta, x0, y0, cropWidth, cropHeight, elastic };
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/**
 * One canvas size for every batch of a loader, so a sample's normalised coordinates (and hence its
 * pixels, bit for bit) never depend on the batch it is in: the largest slice, capped by the most
 * any draw of `a` can reach (the output window's half-diagonal over the smallest zoom and the
 * jitter's smallest singular value, plus the clipped elastic displacement) at the finest spacing.
 */
export function canvasSize(slices: readonly SliceShape[], target: RenderTarget, a: AugmentConfig): CanvasSize {
  let maxW = 1, maxH = 1, finest = Infinity;
  for (const s of slices) {
    maxW = Math.max(maxW, s.width);
    maxH = Math.max(maxH, s.height);
    finest = Math.min(finest, s.spacing[0], s.spacing[1]);
  }
  const minZoom = a.enabled && a.scale.probability > 0 ? a.scale.range[0] : 1;
  const jitter = a.enabled && a.affineJitter.probability > 0 ? a.affineJitter.max : 0;
  const stretch = 1 / (minZoom * (1 - 2 * jitter));
  const halfDiagonal = Math.hypot(target.width, target.height) * target.spacing / 2;
  const elastic = a.enabled && a.elastic.probability > 0 ? BICUBIC_OVERSHOOT * ELASTIC_CLIP_SIGMAS * a.elastic.sigmaMm * Math.SQRT2 : 0;
  // A crop spans at most 2 * reach + 5 pixels (sampleGeometry's rounding and bilinear margins).
  const reach = 2 * Math.ceil(((halfDiagonal + elastic) * stretch) / finest) + 6;
  return { width: Math.min(maxW, reach) + 2, height: Math.min(maxH, reach) + 2 };
}
