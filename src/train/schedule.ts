// schedule.ts owns learning-rate schedules as pure functions of the run's position, so a resumed run
// gets exactly the learning rate it would have had: constant, poly ((1 - i/max)^power,
// deeplab-pytorch), the founding two-phase recipe (constant for N1 iterations, then poly over N2
// more), and an optional linear warmup multiplied on top. An iteration run's position is
// iteration / train.iterations (lrFactor); a time-budget run's is elapsed / budget (lrFactorAtProgress),
// where two_phase switches at schedule.constantFraction and the warmup still counts optimiser steps.
export type ScheduleKind = "constant" | "poly" | "two_phase";

export interface ScheduleConfig {
  kind: ScheduleKind;
  power: number;
  /** two_phase: iterations at the constant rate before the poly phase starts (iteration runs). */
  constantIters: number;
  /** two_phase in a time-budget run: fraction of the budget at the constant rate, in [0, 1). */
  constantFraction: number;
  /** Linear warmup from warmupFactor × lr to lr over this many iterations (0 = none). */
  warmupIters: number;
  warmupFactor: number;
}

export const defaultScheduleConfig: ScheduleConfig = {
  kind: "poly",
  power: 0.9,
  constantIters: 0,
  constantFraction: 0.6,
  warmupIters: 0,
  warmupFactor: 0.1,
};

/**
 * Multiplier of the base learning rate for iteration `iter` (0-based, the update about to be made)
 * of a run of `totalIters`. poly decays over the whole run; two_phase keeps 1 for `constantIters`,
 * then decays over the remaining totalIters - constantIters as a fresh poly run from that checkpoint.
 */
export function lrFactor(iter: number, totalIters: number, s: ScheduleConfig): number {
  if (!Number.isInteger(iter) || iter < 0) throw new Error(`schedule: iteration must be a non-negative integer, got ${iter}`);
  return baseFactor(iter, totalIters, s) * warmup(iter, s);
}

function baseFactor(iter: number, total: number, s: ScheduleConfig): number {
  switch (s.kind) {
    case "constant": return 1;
    case "poly": return poly(iter, total, s.power);
    case "two_phase": return iter < s.constantIters ? 1 : poly(iter - s.constantIters, total - s.constantIters, s.power);
    default: throw new Error(`schedule.kind: unknown schedule ${String(s.kind)} (constant, poly, two_phase)`);
  }
}

function poly(iter: number, maxIter: number, power: number): number {
  if (maxIter <= 0) return 1;
  return Math.pow(Math.max(0, 1 - iter / maxIter), power);
}

function warmup(iter: number, s: ScheduleConfig): number {
  if (s.warmupIters <= 0 || iter >= s.warmupIters) return 1;
  return s.warmupFactor + (1 - s.warmupFactor) * (iter / s.warmupIters);
}

/**
 * Multiplier of the base learning rate in a time-budget run: the base schedule at `progress`
 * (elapsed / budget, clamped to [0, 1]) times the warmup at optimiser step `iter` (0-based).
 * poly is (1 - progress)^power; two_phase keeps 1 until constantFraction, then decays as poly over
 * the rest of the budget.
 */
export function lrFactorAtProgress(progress: number, iter: number, s: ScheduleConfig): number {
  if (!Number.isFinite(progress)) throw new Error(`schedule: progress must be a finite number, got ${progress}`);
  if (!Number.isInteger(iter) || iter < 0) throw new Error(`schedule: iteration must be a non-negative integer, got ${iter}`);
  const p = Math.min(1, Math.max(0, progress));
  return baseFactorAtProgress(p, s) * warmup(iter, s);
}

function baseFactorAtProgress(p: number, s: ScheduleConfig): number {
  switch (s.kind) {
    case "constant": return 1;
    case "poly": return Math.pow(1 - p, s.power);
    case "two_phase": {
      const c = s.constantFraction;
      return p < c ? 1 : Math.pow(Math.max(0, 1 - (p - c) / (1 - c)), s.power);
    }
    default: throw new Error(`schedule.kind: unknown schedule ${String(s.kind)} (constant, poly, two_phase)`);
  }
}
