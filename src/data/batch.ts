// batch.ts owns what a training batch IS, as a pure function of (slices, config, cursor): the
// epoch's seeded permutation, a per-sample Random derived from (seed, epoch, position), and the
// rendering of B consecutive positions (crossing into the next epoch when one ends). Being pure
// is what lets the worker prefetch ahead and a resumed run see exactly the same batches.
import { deriveSeedPath, Random } from "../util/random.js";
import { IDENTITY_WARP, renderSample, sampleWarp, type AugmentOptions, type RenderTarget, type TrainSlice } from "./augment.js";
import { DEFAULT_TARGET_SPACING } from "./preprocess.js";
import type { Batch } from "./types.js";

export interface LoaderConfig {
  readonly batchSize: number;
  /** Training size (pixels). */
  readonly size: { readonly width: number; readonly height: number };
  /** mm per pixel of the training grid (default 1.25). */
  readonly targetSpacing?: number;
  readonly seed: number;
  /** Augmentation options, or false for plain resampled centre crops (still shuffled). */
  readonly augment?: AugmentOptions | false;
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

export function renderBatch(slices: readonly TrainSlice[], cfg: LoaderConfig, orders: EpochOrders, start: Cursor): Batch {
  const { batchSize: B } = cfg, { width: W, height: H } = cfg.size;
  const target: RenderTarget = { width: W, height: H, spacing: cfg.targetSpacing ?? DEFAULT_TARGET_SPACING };
  const images = new Float32Array(B * W * H), labels = new Uint8Array(B * W * H);
  const ids: string[] = [];
  for (let b = 0; b < B; b++) {
    const c = advance(start, b, slices.length);
    const src = slices[orders.get(c.epoch)[c.position]];
    const rng = new Random(deriveSeedPath(cfg.seed, SAMPLE_STREAM, c.epoch, c.position));
    const warp = cfg.augment === false ? IDENTITY_WARP : sampleWarp(src, target, cfg.augment ?? {}, rng);
    renderSample(src, warp, target, images, labels, b * W * H, rng);
    ids.push(src.id);
  }
  return { images, labels, ids, batchSize: B, height: H, width: W };
}
