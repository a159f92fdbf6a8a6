// `cardioseg convert` logic: Sunnybrook to NIfTI pairs whose masks match the skimage reference,
// ACDC normalised with identical geometry, a DICOM series folder to one volume per phase.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { convertInput } from "../../src/io/convert.js";
import { detectDataset, loadDataset } from "../../src/io/datasets/index.js";
import { readNifti } from "../../src/io/nifti/index.js";
import { readDicomFile } from "../../src/io/dicom/index.js";
import { readPng } from "../../src/io/png.js";
import { IoError } from "../../src/io/errors.js";
import { SHARED, readJson, skipUnless, tempDir } from "./helpers.js";

interface Ref { n: number; kind: "i" | "o"; cols: number; rows: number; runs: number[] }

function fromRuns(runs: number[], n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < runs.length; i += 2) m.fill(1, runs[i], runs[i] + runs[i + 1]);
  return m;
}

const SUNNYBROOK = join(SHARED, "sunnybrook");

test("Sunnybrook: every contoured DICOM becomes an image/label pair matching the reference masks", { skip: skipUnless(SUNNYBROOK) }, () => {
  const out = tempDir("convert");
  const summary = convertInput(SUNNYBROOK, out, { png: true });
  assert.equal(summary.kind, "sunnybrook");
  assert.deepEqual(summary.problems, []);
  const refs = readJson<{ contours: Ref[] }>("sunnybrook-polygons.json").contours;
  const numbers = [...new Set(refs.map((r) => r.n))];
  assert.equal(summary.cases, numbers.length);
  for (const n of numbers) {
    const stem = join(out, "SCD0000101", `SCD0000101_${n}`);
    const image = readNifti(`${stem}.nii.gz`), gt = readNifti(`${stem}_gt.nii.gz`);
    assert.ok(gt.data instanceof Uint8Array);
    assert.deepEqual(gt.affine, image.affine);
    const inner = refs.find((r) => r.n === n && r.kind === "i") as Ref;
    const outer = refs.find((r) => r.n === n && r.kind === "o");
    const size = inner.cols * inner.rows;
    const i = fromRuns(inner.runs, size), o = outer ? fromRuns(outer.runs, size) : new Uint8Array(size);
    // Without an o-contour, what lies outside the cavity is not annotated (255).
    const expected = Uint8Array.from(i, (v, k) => (v ? 3 : !outer ? 255 : o[k] ? 2 : 0));
    assert.deepEqual(Buffer.from(gt.data), Buffer.from(expected), `labels of image ${n}`);
    // the image voxels are the DICOM's
    const dcm = readDicomFile(join(SUNNYBROOK, "dicoms", "SCD0000101", `${n}.dcm`));
    assert.deepEqual([...image.data.subarray(0, 300)], [...dcm.data.subarray(0, 300)].map(Math.fround));
    assert.ok(existsSync(`${stem}_overlay.png`));
  }
  const report = JSON.parse(readFileSync(join(out, "convert-report.json"), "utf8")) as { written: string[] };
  assert.equal(report.written.length, summary.written.length);
  // The output is a data set every command reads: one patient folder, MYO and LV annotated.
  assert.equal(detectDataset(out), "generic");
  const ds = loadDataset(out);
  assert.equal(ds.cases.length, numbers.length);
  assert.deepEqual([...new Set(ds.cases.map((c) => c.patient))], ["SCD0000101"]);
  assert.deepEqual(ds.structures, ["MYO", "LV"]);
});

test("ACDC patient: float32 image and uint8 labels with the source affine", { skip: skipUnless(join(SHARED, "acdc")) }, () => {
  const out = tempDir("convert");
  const src = join(SHARED, "acdc/training/patient001");
  const summary = convertInput(src, out, { png: true });
  assert.equal(summary.kind, "acdc");
  assert.equal(summary.cases, 2);
  const img = readNifti(join(out, "patient001", "patient001_frame12.nii.gz"));
  const orig = readNifti(join(src, "patient001_frame12.nii.gz"));
  assert.ok(img.data instanceof Float32Array);
  assert.deepEqual(img.affine, orig.affine);
  assert.deepEqual([...img.data], [...orig.data]);
  const gt = readNifti(join(out, "patient001", "patient001_frame12_gt.nii.gz"));
  assert.deepEqual(Buffer.from(gt.data as Uint8Array), Buffer.from(readNifti(join(src, "patient001_frame12_gt.nii.gz")).data as Uint8Array));
  const overlay = readPng(join(out, "patient001", "patient001_frame12_overlay.png"));
  assert.ok(overlay.dims[0] > 216 && overlay.dims[1] > 256); // a mosaic of the 10 slices
});

test("DICOM series folder: one volume per phase; a bad file is reported, the rest converted", { skip: skipUnless(SUNNYBROOK) }, () => {
  const dir = tempDir("dicom-in");
  mkdirSync(join(dir, "series"));
  const files = [1, 2, 3, 4, 21, 22, 23, 24].map((n) => join(SUNNYBROOK, "dicoms", "SCD0000101", `${n}.dcm`));
  files.forEach((f, i) => copyFileSync(f, join(dir, "series", `f${i}.dcm`)));
  writeFileSync(join(dir, "series", "broken.dcm"), Buffer.alloc(200, 7));
  const out = tempDir("convert");
  const summary = convertInput(join(dir, "series"), out);
  assert.equal(summary.kind, "dicom");
  assert.ok(summary.written.length >= 1);
  assert.ok(summary.problems.some((p) => p.file.endsWith("broken.dcm")));
  let total = 0, voxels = 0;
  for (const f of summary.written) {
    const v = readNifti(f);
    voxels += v.data.length;
    for (const x of v.data) total += x;
  }
  let expected = 0;
  for (const f of files) for (const x of readDicomFile(f).data) expected += x;
  assert.equal(voxels, files.length * 256 * 256);
  assert.equal(total, expected);
});

test("missing input is an IoError", () => {
  assert.throws(() => convertInput("/nonexistent/cardioseg", tempDir("convert")), IoError);
});
