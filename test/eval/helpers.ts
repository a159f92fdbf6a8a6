// test/eval — tests of the metrics, score assembly and `cardioseg score`.
// helpers.ts regenerates the synthetic and perturbed volumes of scripts/fixtures/metrics.py with
// the same float64 arithmetic, so that the TS code is scored on exactly the reference's inputs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { Command } from "commander";
import type { LabelVolume } from "../../src/io/image.js";
import type { ScoreReport } from "../../src/eval/score.js";

import { REPO, SHARED } from "../paths.js";

export { REPO };
export const ACDC = join(SHARED, "acdc", "training");
export const FIXTURES = join(REPO, "test", "fixtures", "eval");

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

/** The part of the score JSON that scripts/fixtures/metrics.py computes independently. */
export type ExpectedReport = Pick<ScoreReport, "classes" | "overall_acc" | "mean_acc" | "freqw_iou" | "mean_iou" | "mean_dice" | "per_class" | "cases" | "clinical">;

export type Shape =
  | { kind: "ellipsoid"; label: number; center: number[]; radii: number[] }
  | { kind: "box"; label: number; lo: number[]; hi: number[] };

/** Paints shapes in order into a [nx, ny, nz] label array (later shapes overwrite earlier ones). */
export function paint(dims: readonly number[], shapes: readonly Shape[]): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(nx * ny * nz);
  for (const s of shapes) {
    for (let k = 0, v = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++, v++) if (inside(s, i, j, k)) out[v] = s.label;
      }
    }
  }
  return out;
}

function inside(s: Shape, i: number, j: number, k: number): boolean {
  if (s.kind === "ellipsoid") {
    const dx = (i - s.center[0]) / s.radii[0], dy = (j - s.center[1]) / s.radii[1], dz = (k - s.center[2]) / s.radii[2];
    return dx * dx + dy * dy + dz * dz <= 1;
  }
  return i >= s.lo[0] && i <= s.hi[0] && j >= s.lo[1] && j <= s.hi[1] && k >= s.lo[2] && k <= s.hi[2];
}

export function labelVolume(data: Uint8Array, dims: readonly number[], spacing: readonly number[]): LabelVolume {
  const affine = [spacing[0], 0, 0, 0, 0, spacing[1], 0, 0, 0, 0, spacing[2], 0, 0, 0, 0, 1];
  return { data, dims: [...dims], spacing: [...spacing], affine, meta: {} };
}

/**
 * The ACDC perturbation recipe of metrics.py: shift by (+2, -1) voxels in (i, j) with zero fill,
 * turn LV voxels with a non-LV in-plane 4-neighbour into MYO, drop RV on the last slice.
 */
export function perturb(gt: Uint8Array, dims: readonly number[]): Uint8Array {
  const [nx, ny, nz] = dims;
  const shifted = new Uint8Array(gt.length);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny - 1; j++) {
      for (let i = 2; i < nx; i++) shifted[(k * ny + j) * nx + i] = gt[(k * ny + j + 1) * nx + i - 2];
    }
  }
  const out = shifted.slice();
  const isLv = (i: number, j: number, k: number): boolean =>
    i >= 0 && i < nx && j >= 0 && j < ny && shifted[(k * ny + j) * nx + i] === 3;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        if (!isLv(i, j, k)) continue;
        if (!isLv(i - 1, j, k) || !isLv(i + 1, j, k) || !isLv(i, j - 1, k) || !isLv(i, j + 1, k)) out[(k * ny + j) * nx + i] = 2;
      }
    }
  }
  for (let v = (nz - 1) * nx * ny; v < out.length; v++) if (out[v] === 1) out[v] = 0;
  return out;
}

/** Asserts |a - b| <= tol * max(1, |b|), with null matching only null. */
export function close(actual: number | null | undefined, expected: number | null | undefined, what: string, tol = 1e-9): void {
  if (expected === null || expected === undefined) {
    if (actual !== null && actual !== undefined && !Number.isNaN(actual)) throw new Error(`${what}: expected null, got ${actual}`);
    return;
  }
  if (actual === null || actual === undefined || !(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${what}: expected ${expected}, got ${actual}`);
  }
}

const CASE_FIELDS = ["dice", "hd95_mm", "assd_mm", "volume_ml", "volume_ml_gt"] as const;

/** Compares every number the reference computed with the TS report. */
export function assertMatchesReference(got: ScoreReport, want: ExpectedReport, tol = 1e-9): void {
  assert.deepEqual(got.classes, want.classes);
  for (const k of ["overall_acc", "mean_acc", "freqw_iou", "mean_iou", "mean_dice"] as const) close(got[k], want[k], k, tol);
  for (const name of want.classes) {
    for (const k of ["iou", "dice", "acc"] as const) close(got.per_class[name][k], want.per_class[name][k], `${name}.${k}`, tol);
  }
  assert.deepEqual(got.cases.map((c) => [c.id, c.phase, c.subject]), want.cases.map((c) => [c.id, c.phase, c.subject]));
  got.cases.forEach((c, i) => {
    for (const f of CASE_FIELDS) {
      for (const name of want.classes.slice(1)) close(c[f][name], want.cases[i][f][name], `${c.id} ${f} ${name}`, tol);
    }
  });
  assert.equal(got.clinical === null, want.clinical === null, "clinical section presence");
  if (!got.clinical || !want.clinical) return;
  assert.deepEqual(got.clinical.subjects.map((s) => s.subject).sort(), want.clinical.subjects.map((s) => s.subject).sort());
  for (const ws of want.clinical.subjects) {
    const gs = got.clinical.subjects.find((s) => s.subject === ws.subject);
    for (const side of ["pred", "gt"] as const) {
      for (const [k, v] of Object.entries(ws[side])) close(gs?.[side][k], v, `${ws.subject} ${side} ${k}`, tol);
    }
  }
  assert.deepEqual(Object.keys(got.clinical.agreement).sort(), Object.keys(want.clinical.agreement).sort());
  for (const [index, a] of Object.entries(want.clinical.agreement)) {
    for (const [k, v] of Object.entries(a)) close(got.clinical.agreement[index][k], v, `agreement ${index} ${k}`, tol);
  }
}

/**
 * Runs one cardioseg sub-command in-process (only its own module is loaded, so other commands'
 * work in progress cannot break the test) and returns what it printed.
 */
export async function runCommand(register: (program: Command) => void, args: string[]): Promise<string> {
  const program = new Command("cardioseg").exitOverride();
  register(program);
  const printed: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]): void => { printed.push(parts.map(String).join(" ")); };
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    console.log = log;
  }
  return printed.join("\n");
}
