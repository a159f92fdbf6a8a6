// Data set layouts: ACDC, Sunnybrook and generic folders listed into cases; bad files reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { detectDataset, loadCase, loadDataset, parseAcdcInfo, parseLinkCsv } from "../../src/io/datasets/index.js";
import { IoError } from "../../src/io/errors.js";
import { writeNifti, writeNiftiLabels } from "../../src/io/nifti/index.js";
import { writePngMask } from "../../src/io/png.js";
import { diagonalAffine, labelLike, type ImageVolume } from "../../src/io/image.js";
import { SHARED, readJson, skipUnless, tempDir } from "./helpers.js";

const ACDC = join(SHARED, "acdc");
const SUNNYBROOK = join(SHARED, "sunnybrook");

test("Info.cfg parsing: ED, ES, Group, Height, Weight, NbFrame", () => {
  const info = parseAcdcInfo("ED: 1\nES: 12\nGroup: DCM\nHeight: 184.0\nNbFrame: 30\nWeight: 95.0\n", "Info.cfg");
  assert.deepEqual(info, { ed: 1, es: 12, group: "DCM", height: 184, weight: 95, nbFrame: 30 });
  assert.throws(() => parseAcdcInfo("ES: 12\n", "p/Info.cfg"), (e: unknown) => e instanceof IoError && /p\/Info\.cfg: missing or bad "ED"/.test(e.message));
});

test("link.csv parsing refuses path tricks", () => {
  assert.deepEqual(parseLinkCsv("patient_id,original_id\nA,B\n", "l.csv"), [{ patient: "A", original: "B" }]);
  assert.throws(() => parseLinkCsv("patient_id,original_id\n../x,B\n", "l.csv"), IoError);
  assert.throws(() => parseLinkCsv("a,b\nA,B\n", "l.csv"), IoError);
});

test("ACDC root: 100 patients x (ED, ES), patient001 as in Info.cfg", { skip: skipUnless(ACDC) }, () => {
  assert.equal(detectDataset(ACDC), "acdc");
  const ds = loadDataset(ACDC);
  assert.equal(ds.kind, "acdc");
  assert.equal(ds.cases.length, 200);
  assert.deepEqual(ds.problems, []);
  const ed = ds.cases[0];
  assert.equal(ed.id, "patient001_ED");
  assert.equal(ed.info.frame, 1);
  assert.equal(ed.info.group, "DCM");
  assert.ok(ed.imagePath.endsWith("patient001_frame01.nii.gz"));
  assert.equal(ds.cases[1].info.frame, 12);
  const { image, labels } = loadCase(ed);
  assert.deepEqual(image.dims, [216, 256, 10]);
  assert.ok(labels && labels.data.every((v) => v <= 3));
});

test("Sunnybrook root: one case per contoured DICOM, labels match skimage rasterisation", { skip: skipUnless(SUNNYBROOK) }, () => {
  assert.equal(detectDataset(SUNNYBROOK), "sunnybrook");
  const ds = loadDataset(SUNNYBROOK);
  assert.deepEqual(ds.problems, []);
  assert.equal(ds.cases.length, 18); // 18 images have an i-contour, 9 of them an o-contour too
  const refs = readJson<{ contours: { n: number; kind: string; count: number }[] }>("sunnybrook-polygons.json").contours;
  const c = ds.cases.find((x) => x.phase === "48");
  assert.ok(c);
  assert.equal(c.id, "SCD0000101_48");
  const { image, labels } = loadCase(c);
  assert.deepEqual(image.dims, [256, 256, 1]);
  assert.ok(labels);
  const lv = labels.data.reduce((a, v) => a + (v === 3 ? 1 : 0), 0);
  assert.equal(lv, refs.find((r) => r.n === 48 && r.kind === "i")?.count);
  assert.equal(labels.data.reduce((a, v) => a + (v === 2 ? 1 : 0), 0), 0); // no o-contour for image 48
  assert.equal(labels.data.reduce((a, v) => a + (v === 255 ? 1 : 0), 0), 256 * 256 - lv); // so outside the cavity is not annotated
  assert.deepEqual(ds.structures, ["MYO", "LV"]);
});

function volume(nx: number, ny: number, nz: number, f: (i: number) => number): ImageVolume {
  return { data: Float32Array.from({ length: nx * ny * nz }, (_, i) => f(i)), dims: [nx, ny, nz], spacing: [1.5, 1.5, 8], affine: diagonalAffine([1.5, 1.5, 8]), meta: {} };
}

test("generic folder: X.nii.gz + X_gt.nii.gz pairs; a corrupt file fails only its own case", () => {
  const dir = tempDir("generic");
  const img = volume(6, 5, 2, (i) => i);
  writeNifti(join(dir, "a.nii.gz"), img, { as: "float32" });
  writeNiftiLabels(join(dir, "a_gt.nii.gz"), labelLike(img, Uint8Array.from(img.data, (v) => v % 4)));
  writeNifti(join(dir, "b.nii"), img, { as: "float32" });
  writeFileSync(join(dir, "c.nii.gz"), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
  assert.equal(detectDataset(dir), "generic");
  const ds = loadDataset(dir);
  assert.deepEqual(ds.cases.map((c) => c.id), ["a", "b", "c"]);
  const a = loadCase(ds.cases[0]);
  assert.deepEqual([...(a.labels?.data ?? [])].slice(0, 6), [0, 1, 2, 3, 0, 1]);
  assert.equal(loadCase(ds.cases[1]).labels, undefined);
  assert.throws(() => loadCase(ds.cases[2]), (e: unknown) => e instanceof IoError && e.file.endsWith("c.nii.gz"));
});

test("generic folder: images/ + labels/ PNG slices", () => {
  const dir = tempDir("generic");
  mkdirSync(join(dir, "images"));
  mkdirSync(join(dir, "labels"));
  const img = volume(4, 3, 1, (i) => i * 10);
  const lab = labelLike(img, Uint8Array.from([0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 1, 1]));
  writePngMask(join(dir, "images", "s1.png"), labelLike(img, Uint8Array.from(img.data)));
  writePngMask(join(dir, "labels", "s1.png"), lab);
  const ds = loadDataset(dir);
  assert.equal(ds.cases.length, 1);
  const { image, labels } = loadCase(ds.cases[0]);
  assert.deepEqual([...image.data], [...img.data]);
  assert.deepEqual([...(labels?.data ?? [])], [...lab.data]);
});

test("an unrecognised folder is an IoError naming it", () => {
  const dir = tempDir("empty");
  assert.equal(detectDataset(dir), undefined);
  assert.throws(() => loadDataset(dir), (e: unknown) => e instanceof IoError && e.file === dir);
});

test("generic folder of patient folders: the folder names the patient; a dataset.json manifest names the structures", () => {
  const dir = tempDir("nested");
  const img = volume(6, 5, 1, (i) => i);
  for (const [patient, stems] of [["P1", ["P1_a", "P1_b"]], ["P2", ["P2_a"]]] as const) {
    mkdirSync(join(dir, patient));
    for (const s of stems) {
      writeNifti(join(dir, patient, `${s}.nii.gz`), img, { as: "float32" });
      writeNiftiLabels(join(dir, patient, `${s}_gt.nii.gz`), labelLike(img, Uint8Array.from(img.data, (v) => v % 4)));
    }
  }
  writeFileSync(join(dir, "P1", "P1_a_overlay.png"), "a picture convert --png writes, not a case");
  mkdirSync(join(dir, "dicom-only"));
  writeFileSync(join(dir, "dicom-only", "x.dcm"), Buffer.alloc(10));
  assert.equal(detectDataset(dir), "generic");
  let ds = loadDataset(dir);
  assert.deepEqual(ds.cases.map((c) => [c.patient, c.id, c.labelPaths.length]), [["P1", "P1_a", 1], ["P1", "P1_b", 1], ["P2", "P2_a", 1]]);
  assert.equal(ds.structures, undefined);
  writeFileSync(join(dir, "dataset.json"), JSON.stringify({ format: "cardioseg-dataset-1", structures: ["MYO", "LV"] }));
  ds = loadDataset(dir);
  assert.deepEqual(ds.structures, ["MYO", "LV"]);
  writeFileSync(join(dir, "dataset.json"), JSON.stringify({ format: "cardioseg-dataset-1", structures: "LV" }));
  assert.throws(() => loadDataset(dir), (e: unknown) => e instanceof IoError && e.file.endsWith("dataset.json") && /"structures" must be a list/.test(e.message));
  writeFileSync(join(dir, "dataset.json"), "{");
  assert.throws(() => loadDataset(dir), (e: unknown) => e instanceof IoError && /not valid JSON/.test(e.message));
});
