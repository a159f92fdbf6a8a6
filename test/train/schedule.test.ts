// Learning-rate schedules as pure functions of the iteration (hand-computed values).
import { test } from "node:test";
import assert from "node:assert/strict";
import { lrFactor, defaultScheduleConfig, type ScheduleConfig } from "../../src/train/schedule.js";

const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
const s = (o: Partial<ScheduleConfig>): ScheduleConfig => ({ ...defaultScheduleConfig, ...o });

test("constant stays at 1", () => {
  for (const i of [0, 7, 999]) near(lrFactor(i, 1000, s({ kind: "constant" })), 1);
});

test("poly follows (1 - i/max)^0.9", () => {
  const p = s({ kind: "poly", power: 0.9 });
  near(lrFactor(0, 10, p), 1);
  near(lrFactor(5, 10, p), 0.5 ** 0.9); // 0.5358867...
  near(lrFactor(9, 10, p), 0.1 ** 0.9);
  near(lrFactor(10, 10, p), 0);
});

test("two_phase: the founding recipe, 15,000 constant then poly over 10,000 from that checkpoint", () => {
  const p = s({ kind: "two_phase", constantIters: 15000, power: 0.9 });
  near(lrFactor(0, 25000, p), 1);
  near(lrFactor(14999, 25000, p), 1);
  near(lrFactor(15000, 25000, p), 1);
  near(lrFactor(20000, 25000, p), 0.5 ** 0.9);
  near(lrFactor(24000, 25000, p), 0.1 ** 0.9);
  // Same as a fresh poly run started at 15,000: the schedule only depends on the iteration.
  near(lrFactor(17500, 25000, p), lrFactor(2500, 10000, s({ kind: "poly" })));
});

test("linear warmup multiplies the base schedule", () => {
  const p = s({ kind: "constant", warmupIters: 10, warmupFactor: 0.1 });
  near(lrFactor(0, 100, p), 0.1);
  near(lrFactor(5, 100, p), 0.55);
  near(lrFactor(10, 100, p), 1);
  const q = s({ kind: "poly", warmupIters: 4, warmupFactor: 0 });
  near(lrFactor(2, 10, q), 0.5 * 0.8 ** 0.9);
});

test("rejects a bad iteration", () => {
  assert.throws(() => lrFactor(-1, 10, s({})), /non-negative integer/);
  assert.throws(() => lrFactor(1.5, 10, s({})), /non-negative integer/);
});
