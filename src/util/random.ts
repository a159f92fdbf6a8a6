// src/util/random.ts owns the project's seeded pseudo-random numbers (data order, augmentation,
// phantom shapes). Algorithm: mulberry32 (Tommy Ettinger's 32-bit generator: one 32-bit word of
// state, a Weyl increment 0x6d2b79f5 then an xorshift-multiply mix) — tiny, portable, and its
// whole state fits in a JSON checkpoint, which is what exact resume needs. The sequence is
// bit-identical to src/synth/random.ts so the phantom can switch to this module unchanged.

/** Everything needed to continue a stream exactly where it stopped. */
export interface RandomState {
  readonly state: number;
  /** Second Box-Muller value kept for the next normal() call, or null. */
  readonly spareNormal: number | null;
}

export class Random {
  private s: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  static fromState(state: RandomState): Random {
    const r = new Random(0);
    r.setState(state);
    return r;
  }

  state(): RandomState {
    return { state: this.s, spareNormal: this.spareNormal };
  }

  setState(state: RandomState): void {
    if (!Number.isInteger(state.state) || state.state < 0 || state.state > 0xffffffff) {
      throw new Error(`invalid random state ${JSON.stringify(state)}: state must be a uint32`);
    }
    this.s = state.state >>> 0;
    this.spareNormal = state.spareNormal ?? null;
  }

  /** Next raw uint32. */
  nextUint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.next();
    this.spareNormal = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Fisher-Yates shuffle in place; returns `items`. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** A 32-bit seed for sub-stream `index` of `seed` (murmur3-style finaliser), so stream 7 does not
 *  depend on how many streams were drawn before it. */
export function deriveSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seed derived from several keys in turn (e.g. seed, epoch, sample index). */
export function deriveSeedPath(seed: number, ...keys: number[]): number {
  let s = seed >>> 0;
  for (const k of keys) s = deriveSeed(s, k);
  return s;
}

const NORMAL_TABLE_BITS = 16;
let normalTable: Float32Array | null = null;

/**
 * 65536 standard-normal quantiles (evenly spaced in probability): indexing it with 16 random bits
 * gives image noise several times faster than Box-Muller, and the discreteness (steps of 1/65536
 * in probability) is invisible in an MR image.
 */
export function standardNormalTable(): Float32Array {
  if (normalTable) return normalTable;
  const n = 1 << NORMAL_TABLE_BITS;
  const table = new Float32Array(n);
  for (let i = 0; i < n; i++) table[i] = inverseNormal((i + 0.5) / n);
  normalTable = table;
  return table;
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
