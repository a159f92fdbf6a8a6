// Folder scanning, series grouping, cine phase splitting and slice ordering: a synthetic
// pydicom-written folder (committed) and the shared Sunnybrook patient, both against geometry
// computed independently by scripts/fixtures/dicom.py; plus a folder holding bad files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDicomSeries, scanDicomFolder, type DicomFileError } from "../../src/io/dicom/index.js";
import type { ImageVolume } from "../../src/io/image.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIX = join(ROOT, "test", "fixtures", "io");
const CINE = join(FIX, "dicom-synth", "cine");
const SUNNY = join(ROOT, "..", "shared", "data", "sunnybrook", "dicoms", "SCD0000101");
const SAMPLES = join(ROOT, "..", "shared", "data", "dicom-samples");

interface VolumeRef { series: string; phase: number; dims: number[]; affine: number[]; files: string[]; values: number[] }
const SYNTH = JSON.parse(readFileSync(join(FIX, "dicom-synth.json"), "utf8")) as { cine: VolumeRef[] };

function assertAffine(got: readonly number[], want: readonly number[], tol: number, what: string): void {
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}: affine[${i}] ${got[i]} vs ${want[i]}`);
}

function find(vols: ImageVolume[], series: string, phase: number): ImageVolume {
  const v = vols.find((x) => x.meta.seriesInstanceUID === series && x.meta.phase === phase);
  assert.ok(v, `no volume for series ${series} phase ${phase}`);
  return v;
}

test("dicom synthetic folder: 2 series, cine phases split, slices sorted along the normal", () => {
  const errors: DicomFileError[] = [];
  const vols = loadDicomSeries(CINE, { onError: (e) => errors.push(e) });
  assert.deepEqual(errors, []);
  assert.equal(vols.length, SYNTH.cine.length);
  for (const ref of SYNTH.cine) {
    const v = find(vols, ref.series, ref.phase);
    assert.deepEqual(v.dims, ref.dims);
    assert.deepEqual(Array.from(v.data), ref.values);
    assertAffine(v.affine, ref.affine, 1e-4, `series ${ref.series.slice(-6)} phase ${ref.phase}`);
    assert.deepEqual(String(v.meta.files).split("|").map((f) => basename(f)), ref.files);
  }
});

test("dicom scan reports the series structure", () => {
  const scan = scanDicomFolder(CINE);
  assert.equal(scan.errors.length, 0);
  const counts = scan.series.map((s) => `${s.instances.length}:${s.volumes.length}`).sort();
  assert.deepEqual(counts, ["2:1", "6:2"]);
});

test("dicom folder with bad files reports each and loads the rest", () => {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-dicom-"));
  try {
    for (const f of ["b0.dcm", "b1.dcm"]) copyFileSync(join(CINE, f), join(dir, f));
    writeFileSync(join(dir, "notes.txt"), "not a dicom file\n");
    const good = readFileSync(join(CINE, "a0.dcm"));
    writeFileSync(join(dir, "cut.dcm"), good.subarray(0, good.length - 30));
    const errors: DicomFileError[] = [];
    const vols = loadDicomSeries(dir, { onError: (e) => errors.push(e) });
    assert.equal(vols.length, 1);
    assert.deepEqual(vols[0].dims, [5, 4, 2]);
    assert.deepEqual(errors.map((e) => basename(e.file)).sort(), ["cut.dcm", "notes.txt"]);
    for (const e of errors) assert.ok(e.message.startsWith(e.file), e.message);
    assert.match(errors.find((e) => e.file.endsWith("cut.dcm"))!.message, /truncated/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dicom shared samples folder: images load, the rest are reported", { skip: !existsSync(SAMPLES) && "../shared/data/dicom-samples absent" }, () => {
  const errors: DicomFileError[] = [];
  const vols = loadDicomSeries(SAMPLES, { onError: (e) => errors.push(e) });
  const bad = new Set(errors.map((e) => basename(e.file)));
  for (const f of ["MR_truncated.dcm", "rtstruct.dcm", "badVR.dcm", "README.txt", "JPEG-lossy.dcm"]) assert.ok(bad.has(f), `${f} reported`);
  // MR_small and its 8 re-encodings share a SeriesInstanceUID and position: they load as phases.
  assert.ok(vols.length >= 4, `${vols.length} volumes`);
});

interface SunnyRef {
  files: { file: string; sum: number; triggerTime: number; position: number[] }[];
  series: { seriesInstanceUID: string; slices: number; phases: number; rows: number; cols: number; sliceSpacing: number; pixelSpacing: number[]; affine: number[]; phaseFiles: string[][] }[];
}

test("dicom Sunnybrook SCD0000101: every file read, 12 slices x 20 phases, geometry as pydicom", { skip: !existsSync(SUNNY) && "../shared/data/sunnybrook absent" }, () => {
  const ref = JSON.parse(readFileSync(join(FIX, "dicom-sunnybrook.json"), "utf8")) as SunnyRef;
  const errors: DicomFileError[] = [];
  const vols = loadDicomSeries(SUNNY, { onError: (e) => errors.push(e) });
  assert.deepEqual(errors, []);
  const s = ref.series[0];
  assert.equal(vols.length, s.phases);
  const sums = new Map(ref.files.map((f) => [f.file, f.sum]));
  let seen = 0;
  for (let p = 0; p < s.phases; p++) {
    const v = find(vols, s.seriesInstanceUID, p);
    assert.deepEqual(v.dims, [s.cols, s.rows, s.slices]);
    assert.ok(Math.abs(v.spacing[0] - s.pixelSpacing[1]) < 1e-9 && Math.abs(v.spacing[1] - s.pixelSpacing[0]) < 1e-9);
    assert.ok(Math.abs(v.spacing[2] - s.sliceSpacing) < 1e-6, `slice spacing ${v.spacing[2]}`);
    const files = String(v.meta.files).split("|").map((f) => basename(f));
    assert.deepEqual(files, s.phaseFiles[p]);
    if (p === 0) assertAffine(v.affine, s.affine, 1e-4, "phase 0");
    const plane = s.rows * s.cols;
    files.forEach((f, k) => {
      let sum = 0;
      for (let i = k * plane; i < (k + 1) * plane; i++) sum += v.data[i];
      assert.equal(sum, sums.get(f), `${f} pixel sum`);
      seen++;
    });
  }
  assert.equal(seen, ref.files.length);
});
