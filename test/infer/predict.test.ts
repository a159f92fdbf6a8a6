// `cardioseg predict` on a tiny trained model: outputs exist in the input's own geometry (an
// oblique NIfTI, a 4D NIfTI, a PNG, a DICOM series folder), the DICOM SEG reads back with an
// independent parser, bad inputs are skipped and reported, and the CLI then exits non-zero.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packedConvolutionsAvailable } from "../../src/tensor/index.js";
import dicomParser from "dicom-parser";
import { readNifti, writeNifti } from "../../src/io/nifti/index.js";
import { readPng, encodePngMask } from "../../src/io/png.js";
import { loadDicomSeries } from "../../src/io/dicom/index.js";
import { parseFormats, runPredict, type PredictSummary } from "../../src/infer/predict.js";
import { CLI_MAIN, tinyRun, type TinyRun } from "./helpers.js";

const CINE = fileURLToPath(new URL("../../../test/fixtures/io/dicom-synth/cine", import.meta.url));

let run: TinyRun;
let inputs: { oblique: string; cine4d: string; png: string; missing: string; corrupt: string };
let summary: PredictSummary;
const out = (): string => join(run.root, "pred");

before(async () => {
  run = await tinyRun("cardioseg-predict-");
  const image = readNifti(join(run.dataDir, "patient001", "patient001_frame01.nii.gz"));
  // A rotated, shifted affine: the output must carry it unchanged.
  const [sx, sy, sz] = image.spacing;
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const affine = [c * sx, -s * sy, 0, 12.5, s * sx, c * sy, 0, -40, 0, 0, sz, 7.25, 0, 0, 0, 1];
  inputs = {
    oblique: join(run.root, "oblique.nii.gz"),
    cine4d: join(run.root, "cine4d.nii.gz"),
    png: join(run.root, "slice.png"),
    missing: join(run.root, "missing.nii.gz"),
    corrupt: join(run.root, "corrupt.nii.gz"),
  };
  writeNifti(inputs.oblique, { ...image, affine });
  const [nx, ny, nz] = image.dims;
  const two = new Float32Array(nx * ny * nz * 2);
  two.set(image.data); two.set(image.data, nx * ny * nz);
  writeNifti(inputs.cine4d, { ...image, data: two, dims: [nx, ny, nz, 2], spacing: [...image.spacing.slice(0, 3), 30] });
  const grey = new Uint8Array(nx * ny);
  for (let p = 0; p < nx * ny; p++) grey[p] = Math.min(255, Math.max(0, Math.round(image.data[p] / 4)));
  writeFileSync(inputs.png, encodePngMask(grey, nx, ny));
  writeFileSync(inputs.corrupt, Buffer.from("this is not a NIfTI file at all"));
  summary = await runPredict({
    model: run.runDir, out: out(), formats: ["nifti", "png", "contours", "seg"], tta: true, lcc: true, log: () => undefined,
    inputs: [inputs.oblique, inputs.missing, inputs.cine4d, inputs.png, CINE, inputs.corrupt],
  });
});

test("bad inputs are reported and skipped, the others predicted", () => {
  assert.deepEqual(summary.failures.map((f) => f.input).sort(), [inputs.corrupt, inputs.missing].sort());
  assert.match(summary.failures.find((f) => f.input === inputs.missing)!.message, /no such file/);
  const names = summary.outputs.map((o) => o.name);
  for (const n of ["oblique", "cine4d_t00", "cine4d_t01", "slice"]) assert.ok(names.includes(n), `${n} in ${names.join(",")}`);
  assert.ok(names.filter((n) => n.startsWith("cine_")).length >= 2, "one output per DICOM series/phase");
  const written = JSON.parse(readFileSync(join(out(), "predict-summary.json"), "utf8")) as PredictSummary;
  assert.equal(written.failures.length, 2);
  // The kernels in effect: packed Winograd where the addon has oneDNN, else libtorch's own.
  assert.equal(written.convolutions, packedConvolutionsAvailable() ? "winograd" : "libtorch");
  assert.equal(written.precision, "float32");
  assert.equal(written.outputs.length, summary.outputs.length);
});

test("NIfTI outputs keep the input's dims and affine; labels are classes 0..3", () => {
  const input = readNifti(inputs.oblique);
  const pred = readNifti(join(out(), "oblique", "oblique_pred.nii.gz"));
  assert.deepEqual(pred.dims.slice(0, 3), input.dims.slice(0, 3));
  assert.deepEqual(pred.affine, input.affine);
  assert.ok(pred.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 3));
  const frame = readNifti(join(out(), "cine4d_t01", "cine4d_t01_pred.nii.gz"));
  assert.deepEqual(frame.dims, input.dims.slice(0, 3));
  for (const f of ["overlay.png", "oblique_pred_slice00.png"]) assert.ok(existsSync(join(out(), "oblique", f)), f);
  assert.ok(summary.outputs.find((o) => o.name === "oblique")!.lcc_removed !== undefined);
});

test("PNG input gives a PNG mask of the same size", () => {
  const input = readPng(inputs.png);
  const mask = readPng(join(out(), "slice", "slice_pred.png"));
  assert.deepEqual(mask.dims, input.dims);
  assert.ok(existsSync(join(out(), "slice", "overlay.png")));
  assert.ok(!existsSync(join(out(), "slice", "seg.dcm")), "no SEG for a PNG input");
});

test("DICOM input gives a SEG per series (all phases) that reads back, and a NIfTI in the series' geometry", () => {
  const vols = loadDicomSeries(CINE, { onError: () => undefined });
  const o = summary.outputs.find((x) => x.name === "cine_series2")!;
  assert.ok(o, "the one-phase series was predicted");
  const pred = readNifti(join(out(), o.name, `${o.name}_pred.nii.gz`));
  const source = vols.find((v) => v.dims.slice(0, 3).join("x") === pred.dims.slice(0, 3).join("x"))!;
  assert.ok(source, `a source volume of dims ${pred.dims.join("x")}`);
  pred.affine.forEach((a, i) => assert.ok(Math.abs(a - source.affine[i]) < 1e-3, `affine[${i}] ${a} vs ${source.affine[i]}`));
  // The default SEG is one per series of the study, in OUT/<study>/ (test/infer/study.test.ts has the rest).
  const seg = dicomParser.parseDicom(readFileSync(join(out(), "cine", "seg_series2.dcm")));
  assert.equal(seg.string("x00080016"), "1.2.840.10008.5.1.4.1.1.66.4");
  assert.equal(seg.string("x00080060"), "SEG");
  const segments = (seg.elements.x00620002?.items ?? []).map((it) => it.dataSet!.string("x00620005"));
  assert.deepEqual(segments, ["RV", "MYO", "LV"]);
  assert.equal(seg.intString("x00280008"), 3 * pred.dims[2]);
  assert.equal(seg.uint16("x00280010"), pred.dims[1]);
  assert.equal(seg.uint16("x00280011"), pred.dims[0]);
});

test("the CLI exits non-zero when an input failed, after predicting the rest", () => {
  const dir = join(run.root, "cli");
  const r = spawnSync(process.execPath, [CLI_MAIN, "predict", "--model", run.runDir, "--out", dir, inputs.corrupt, inputs.png], { encoding: "utf8" });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /1 volume\(s\) predicted.*1 failed/);
  assert.ok(existsSync(join(dir, "slice", "slice_pred.nii.gz")));
});

test("--format lists are checked", () => {
  assert.deepEqual(parseFormats("nifti, PNG,nifti"), ["nifti", "png"]);
  assert.throws(() => parseFormats("nifti,jpeg"), /unknown format "jpeg"/);
  assert.throws(() => parseFormats(","), /no format/);
});
