// Tests of the phantom's anatomy and motion: label geometry (myocardium closes around the LV, the
// RV leans on the septum and ends before the apex), base-to-apex shrinkage, ED vs ES with a real
// ejection fraction, acquisition ranges and determinism of the in-memory volumes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GROUPS } from "../../src/synth/spec.js";
import { generateCase, formatInfo } from "../../src/synth/phantom.js";
import { countLabel, neighbours4, phantomCase, TEST_SIZE } from "./helpers.js";

const SEED = 2024;
const CASES = Array.from({ length: 10 }, (_, i) => i);
const RV = 1, MYO = 2, LV = 3;

test("same seed and index give identical volumes; another seed or index differs", () => {
  const a = generateCase(5, 1, 64), b = generateCase(5, 1, 64);
  assert.deepEqual(a.frames[0].image.data, b.frames[0].image.data);
  assert.deepEqual(a.frames[1].labels.data, b.frames[1].labels.data);
  const other = generateCase(6, 1, 64), next = generateCase(5, 2, 64);
  assert.notDeepEqual(a.frames[0].image.data, other.frames[0].image.data);
  assert.notDeepEqual(a.spec, next.spec);
});

test("groups cycle through the ACDC pathologies", () => {
  assert.deepEqual(CASES.slice(0, 5).map((i) => phantomCase(SEED, i).info.Group), [...GROUPS]);
});

test("acquisition: 6-12 slices, 1.3-1.7 mm pixels, 5-10 mm slice gap, label values 0-3", () => {
  for (const i of CASES) {
    const { frames } = phantomCase(SEED, i);
    for (const f of frames) {
      const [nx, ny, nz] = f.image.dims;
      assert.equal(nx, TEST_SIZE);
      assert.equal(ny, TEST_SIZE);
      assert.ok(nz >= 6 && nz <= 12, `slices ${nz}`);
      assert.ok(f.image.spacing[0] >= 1.3 && f.image.spacing[0] <= 1.7);
      assert.equal(f.image.spacing[1], f.image.spacing[0]);
      assert.ok(f.image.spacing[2] >= 5 && f.image.spacing[2] <= 10);
      assert.deepEqual(f.labels.dims, f.image.dims);
      assert.ok(f.labels.data.every((v) => v <= 3));
      assert.ok(f.image.data.every((v) => Number.isFinite(v) && v >= 0));
    }
  }
});

test("every LV voxel's 4-neighbours are LV or myocardium (the wall closes around the cavity)", () => {
  for (const i of CASES) {
    for (const f of phantomCase(SEED, i).frames) {
      const [nx, ny, nz] = f.labels.dims;
      let lv = 0;
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let x = 0; x < nx; x++) {
        if (f.labels.data[x + nx * (j + ny * k)] !== LV) continue;
        lv++;
        for (const n of neighbours4(f.labels, x, j, k)) assert.ok(n === LV || n === MYO, `case ${i} ${f.phase} voxel ${x},${j},${k} touches ${n}`);
      }
      assert.ok(lv > 0);
    }
  }
});

test("the RV touches the septum on every slice where it exists, and is gone at the apex in most cases", () => {
  let apexWithoutRv = 0;
  for (const i of CASES) {
    const { labels } = phantomCase(SEED, i).frames[0];
    const [nx, ny, nz] = labels.dims;
    for (let k = 0; k < nz; k++) {
      if (countLabel(labels, RV, k) === 0) continue;
      let touching = 0;
      for (let j = 0; j < ny; j++) for (let x = 0; x < nx; x++) {
        if (labels.data[x + nx * (j + ny * k)] === RV && neighbours4(labels, x, j, k).includes(MYO)) touching++;
      }
      assert.ok(touching >= 3, `case ${i} slice ${k}: RV does not touch the myocardium`);
    }
    assert.ok(countLabel(labels, RV, 0) > 0, `case ${i}: no RV at the base`);
    if (countLabel(labels, RV, nz - 1) === 0) apexWithoutRv++;
  }
  assert.ok(apexWithoutRv >= 7, `RV absent at the apex in only ${apexWithoutRv} of ${CASES.length} cases`);
});

test("the LV shrinks from base to apex", () => {
  for (const i of CASES) {
    const { labels } = phantomCase(SEED, i).frames[0];
    const nz = labels.dims[2];
    const base = countLabel(labels, LV, 0) + countLabel(labels, MYO, 0), apex = countLabel(labels, LV, nz - 1) + countLabel(labels, MYO, nz - 1);
    assert.ok(apex < 0.6 * base, `case ${i}: apex ${apex} vs base ${base} voxels`);
  }
});

test("ES: smaller LV cavity, EF 20-70 %, thicker wall; group-typical EF", () => {
  for (const i of CASES) {
    const c = phantomCase(SEED, i);
    const [ed, es] = c.frames;
    const ef = 1 - countLabel(es.labels, LV) / countLabel(ed.labels, LV);
    assert.ok(ef >= 0.2 && ef <= 0.7, `case ${i} (${c.info.Group}) EF ${ef.toFixed(3)}`);
    // Myocardial voxels per LV-containing slice grow at ES: the wall thickens.
    assert.ok(countLabel(es.labels, MYO) > countLabel(ed.labels, MYO), `case ${i}: wall did not thicken`);
    if (c.info.Group === "DCM") assert.ok(ef < 0.45, `DCM with EF ${ef}`);
    if (c.info.Group === "NOR") assert.ok(ef > 0.5, `NOR with EF ${ef}`);
    assert.equal(es.frame, c.info.ES);
    assert.ok(c.info.ES > 1 && c.info.ES <= c.info.NbFrame);
  }
});

test("pathologies show in the anatomy: DCM larger LV than NOR, HCM thicker wall, RV group larger RV", () => {
  const mean = (group: string, fn: (i: number) => number): number => {
    const ids = Array.from({ length: 20 }, (_, i) => i).filter((i) => phantomCase(SEED, i).info.Group === group);
    return ids.reduce((s, i) => s + fn(i), 0) / ids.length;
  };
  const lv = (i: number): number => countLabel(phantomCase(SEED, i).frames[0].labels, LV);
  const myoPerLv = (i: number): number => countLabel(phantomCase(SEED, i).frames[0].labels, MYO) / lv(i);
  const rvPerLv = (i: number): number => countLabel(phantomCase(SEED, i).frames[0].labels, RV) / lv(i);
  assert.ok(mean("DCM", lv) > 1.4 * mean("NOR", lv));
  assert.ok(mean("HCM", myoPerLv) > 1.5 * mean("NOR", myoPerLv));
  assert.ok(mean("RV", rvPerLv) > 1.4 * mean("NOR", rvPerLv));
});

test("Info.cfg text has ACDC's keys, order and number format", () => {
  const text = formatInfo({ ED: 1, ES: 12, Group: "DCM", Height: 184, NbFrame: 30, Weight: 95 });
  assert.equal(text, "ED: 1\nES: 12\nGroup: DCM\nHeight: 184.0\nNbFrame: 30\nWeight: 95.0\n");
});

test("sizes outside the supported range are refused with a clear message", () => {
  assert.throws(() => generateCase(1, 0, 8), /size must be an integer in \[32, 512\], got 8/);
  assert.throws(() => generateCase(1, 0, 100.5), /size/);
});
