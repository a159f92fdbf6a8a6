// schedule.ts owns learning-rate schedules as pure functions of the iteration, so a resumed run gets
// exactly the learning rate it would have had: constant, poly ((1 - i/max)^power, deeplab-pytorch),
// the founding two-phase recipe (constant for N1 iterations, then poly over N2 more), and an optional
// linear warmup multiplied on top.
export type ScheduleKind = "constant" | "poly" | "two_phase";

export interface ScheduleConfig {
  kind: ScheduleKind;
  power: number;
  /** two_phase: iterations at the constant rate before the poly phase starts. */
  constantIters: number;
  /** Linear warmup from warmupFactor × lr to lr over this many iterations (0 = none). */
  warmupIters: number;
  warmupFactor: number;
}

export const defaultScheduleConfig: ScheduleConfig = {
  kind: "poly",
  power: 0.9,
  constantIters: 0,
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
