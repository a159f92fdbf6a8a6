// Tests that the phantom looks like ACDC by numbers: src/synth/stats.ts is checked against the
// Python measurement of a real ACDC patient (when the shared data is present), then the phantom's
// mid-ventricular statistics are compared with ACDC's percentiles
// (test/fixtures/synth/acdc-stats.json, from scripts/fixtures/acdc_phantom_stats.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { loadCase, loadDataset } from "../../src/io/datasets/index.js";
import { midSliceStats, percentile, type MidSliceStats } from "../../src/synth/stats.js";
import { phantomCase } from "./helpers.js";

type Range = { p5: number; p50: number; p95: number };
interface Fixture {
  percentiles: Record<"ED" | "ES", Record<string, Range>>;
  patient001: (MidSliceStats & { phase: string; inplaneMm: number })[];
}
const fixture = JSON.parse(readFileSync(new URL("../../../test/fixtures/synth/acdc-stats.json", import.meta.url), "utf8")) as Fixture;
const ACDC = new URL("../../../../shared/data/acdc/training/patient001", import.meta.url).pathname;

test("percentile interpolates like numpy", () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([10, 0, 5], 99), 9.9);
  assert.equal(percentile([7], 30), 7);
});

test("stats.ts measures a real ACDC patient exactly as the Python reference", { skip: !existsSync(ACDC) && "shared ACDC data absent" }, () => {
  const ds = loadDataset(ACDC, "acdc");
  for (const kase of ds.cases) {
    const { image, labels } = loadCase(kase);
    assert.ok(labels);
    const got = midSliceStats(image, labels);
    const want = fixture.patient001.find((r) => r.phase === kase.phase);
    assert.ok(want);
    const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b)), `${kase.phase} ${what}: ${a} vs ${b}`);
    for (const key of ["bloodMyoRatio", "rvMyoRatio", "brighterThanBloodFraction", "bloodOverP99"] as const) close(got[key] ?? NaN, want[key] ?? NaN, key);
    // Areas compared as voxel counts: this checks the measurement, whatever pixel size the reader
    // reports (ACDC's sform and pixdim disagree; the Python reference used pixdim).
    const pixelMm2 = labels.spacing[0] * labels.spacing[1];
    for (const key of ["lvAreaMm2", "myoAreaMm2", "rvAreaMm2"] as const) close(got[key] / pixelMm2, want[key] / want.inplaneMm ** 2, key);
  }
});

test("phantom mid-ventricular statistics fall in ACDC's 5th-95th percentile range", () => {
  const median = (v: number[]): number => percentile(v, 50);
  for (const [f, phase] of [[0, "ED"], [1, "ES"]] as const) {
    const rows = Array.from({ length: 10 }, (_, i) => {
      const fr = phantomCase(2024, i).frames[f];
      return midSliceStats(fr.image, fr.labels);
    });
    for (const key of ["bloodMyoRatio", "lvAreaMm2", "myoAreaMm2", "rvAreaMm2", "brighterThanBloodFraction", "bloodOverP99"] as const) {
      const ref = fixture.percentiles[phase][key];
      const m = median(rows.map((r) => r[key]));
      assert.ok(m >= ref.p5 && m <= ref.p95, `${phase} ${key}: phantom median ${m.toFixed(3)} outside ACDC [${ref.p5}, ${ref.p95}]`);
    }
  }
});
