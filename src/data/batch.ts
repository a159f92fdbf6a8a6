// batch.ts owns what a training batch IS, as a pure function of (slices, config, cursor): the
// epoch's seeded permutation, a per-sample seed derived from (seed, epoch, position), each sample's
// augmentation draws (augment.ts), and the gathering of B consecutive positions (crossing into the
// next epoch when one ends) into a CropBatch: each sample's source window copied row by row onto a
// fixed-size canvas. Rendering (warp and intensity transforms) happens on libtorch, in
// src/train/augment.ts. Being pure is what lets the worker prefetch ahead and a resumed run see
// exactly the same batches.
// Distributed sampling: with a shard {rank, worldSize}, a step covers batchSize x worldSize
// consecutive positions (the global batch) and rank r takes positions [r·B, (r+1)·B) of it, so the
// ranks' batches at a step are together exactly the batch one process with the global batch size
// would draw — same slices, same per-sample augmentation seeds — and each epoch's permutation is
// split among the ranks without overlap.
import { deriveSeedPath, Random } from "../util/random.js";
import {
  canvasSize, drawSample, resolveAugment, sampleGeometry, type AugmentConfig, type AugmentOptions, type CanvasSize,
  type RenderTarget, type SampleDraw, type TrainSlice,
} from "./augment.js";
import { DEFAULT_TARGET_SPACING } from "./preprocess.js";
import type { CropBatch, IntensityDraw } from "./types.js";

export interface LoaderConfig {
  readonly batchSize: number;
  /** Training size (pixels). */
  readonly size: { readonly width: number; readonly height: number };
  /** mm per pixel of the training grid (default 1.25). */
  readonly targetSpacing?: number;
  readonly seed: number;
  /** Augmentation options (any subset of AugmentConfig), or false for plain resampled centre crops (still shuffled). */
  readonly augment?: AugmentOptions | false;
  /** This process's share of each global batch in a distributed run (default: the whole batch). */
  readonly shard?: Shard;
}

/** A rank's place in a distributed run: batchSize is per rank, the global batch batchSize x worldSize. */
export interface Shard {
  readonly rank: number;
  readonly worldSize: number;
}

/** Positions one step consumes: the global batch. */
export function stepSize(cfg: LoaderConfig): number {
  return cfg.batchSize * (cfg.shard?.worldSize ?? 1);
}

/** Position of the next sample: index `position` of epoch `epoch`'s permutation. */
export interface Cursor {
  readonly epoch: number;
  readonly position: number;
}

// Stream tags keep the shuffle and the per-sample streams of one seed independent.
const SHUFFLE_STREAM = 1, SAMPLE_STREAM = 2;

export function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  new Random(deriveSeedPath(seed, SHUFFLE_STREAM, epoch)).shuffle(order);
  return Uint32Array.from(order);
}

/** The seed of every random draw of the sample at `c` (its augmentation and its noise image). */
export function sampleSeed(seed: number, c: Cursor): number {
  return deriveSeedPath(seed, SAMPLE_STREAM, c.epoch, c.position);
}

export function advance(c: Cursor, steps: number, n: number): Cursor {
  const p = c.position + steps;
  return { epoch: c.epoch + Math.floor(p / n), position: p % n };
}

export function checkLoaderConfig(cfg: LoaderConfig, numSlices: number): void {
  if (numSlices === 0) throw new Error("loader: no training slices");
  if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize > 0)) throw new Error(`loader: batchSize must be a positive integer (got ${cfg.batchSize})`);
  const { width, height } = cfg.size;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) throw new Error(`loader: size must be positive integers (got ${width}x${height})`);
  if (!Number.isInteger(cfg.seed)) throw new Error(`loader: seed must be an integer (got ${cfg.seed})`);
  const sh = cfg.shard;
  if (sh && !(Number.isInteger(sh.worldSize) && sh.worldSize >= 1 && Number.isInteger(sh.rank) && sh.rank >= 0 && sh.rank < sh.worldSize)) {
    throw new Error(`loader: shard rank ${sh.rank} of ${sh.worldSize} is not a rank of the job`);
  }
}

/** Caches the permutations of the last epochs touched (a batch spans at most two). */
export class EpochOrders {
  private readonly cache = new Map<number, Uint32Array>();
  constructor(private readonly n: number, private readonly seed: number) {}

  get(epoch: number): Uint32Array {
    let o = this.cache.get(epoch);
    if (!o) {
      o = epochOrder(this.n, this.seed, epoch);
      this.cache.set(epoch, o);
      if (this.cache.size > 3) this.cache.delete(Math.min(...this.cache.keys()));
    }
    return o;
  }
}

/** What a loader fixes once: the resolved augmentation, the output grid and the canvas size. */
export interface BatchPlan {
  readonly augment: AugmentConfig;
  readonly target: RenderTarget;
  readonly canvas: CanvasSize;
}

export function planBatches(slices: readonly TrainSlice[], cfg: LoaderConfig): BatchPlan {
  const augment = resolveAugment(cfg.augment);
  const target: RenderTarget = { ...cfg.size, spacing: cfg.targetSpacing ?? DEFAULT_TARGET_SPACING };
  return { augment, target, canvas: canvasSize(slices, target, augment) };
}

/** One sample placed on a batch: its slice and draws (tests build these with fixed draws). */
export interface PlacedSample {
  readonly slice: TrainSlice;
  readonly draw: SampleDraw;
}

/** This rank's batch of the step at `start`: B consecutive positions of the seeded epoch orders. */
export function gatherBatch(slices: readonly TrainSlice[], cfg: LoaderConfig, plan: BatchPlan, orders: EpochOrders, start: Cursor): CropBatch {
  const samples: PlacedSample[] = [];
  const first = (cfg.shard?.rank ?? 0) * cfg.batchSize;
  for (let b = 0; b < cfg.batchSize; b++) {
    const c = advance(start, first + b, slices.length);
    const slice = slices[orders.get(c.epoch)[c.position]];
    samples.push({ slice, draw: drawSample(slice, plan.target, plan.augment, sampleSeed(cfg.seed, c)) });
  }
  return placeSamples(samples, plan);
}

/** Copies each sample's source window onto its canvas (row by row) and records its geometry. */
export function placeSamples(samples: readonly PlacedSample[], plan: BatchPlan): CropBatch {
  const B = samples.length, { width: Wc, height: Hc } = plan.canvas, n = Wc * Hc;
  const canvas = new Float32Array(B * n), canvasLabels = new Uint8Array(B * n);
  const theta = new Float32Array(B * 6), stats = new Float32Array(B * 4);
  const g = plan.augment.elastic.gridSize;
  const elastic = samples.some((s) => s.draw.elastic) ? new Float32Array(B * 2 * g * g) : null;
  const intensity: IntensityDraw[] = [];
  samples.forEach(({ slice: src, draw }, b) => {
    const geo = sampleGeometry(src, draw, plan.target, plan.canvas);
    const { lo, hi, mean, std } = src.stats;
    canvas.fill(lo, b * n, (b + 1) * n);
    for (let y = 0; y < geo.cropHeight; y++) {
      const from = (geo.y0 + y) * src.width + geo.x0, to = b * n + (y + 1) * Wc + 1;
      canvas.set(src.image.subarray(from, from + geo.cropWidth), to);
      canvasLabels.set(src.label.subarray(from, from + geo.cropWidth), to);
    }
    theta.set(geo.theta, b * 6);
    stats.set([lo, hi, mean, std], b * 4);
    if (elastic && geo.elastic) elastic.set(geo.elastic, b * 2 * g * g);
    const { gamma, gammaInverted, noiseStd, noiseSeed, blurSigma, brightness, contrast, lowResZoom } = draw;
    intensity.push({ gamma, gammaInverted, noiseStd, noiseSeed, blurSigma, brightness, contrast, lowResZoom });
  });
  return {
    canvas, canvasLabels, canvasWidth: Wc, canvasHeight: Hc, theta, stats, elastic, intensity,
    labelMode: plan.augment.labels, ids: samples.map((s) => s.slice.id), batchSize: B,
    height: plan.target.height, width: plan.target.width,
  };
}
