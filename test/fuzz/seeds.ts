// seeds.ts — the failures of issue 13 (found by hand with ~200 malformed inputs) as regression
// inputs in the fuzzer's own format, so the replay test keeps every one of them fixed. Run
// `node dist/test/fuzz/seeds.js` to (re)write them into test/fixtures/fuzz/issue13-*.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { NIFTI1, TS_DEFLATED, dicomFile, niftiBytes, patchNifti } from "./builders.js";
import { contourText, enc, type FuzzCase } from "./inputs.js";
import { FIXTURES } from "./main.js";
import { encodeCase } from "./targets.js";

const labels = (values: number[]): Uint8Array => gzipSync(niftiBytes({ dims: [6, 5, 2], values, as: "uint8" }));
const ramp = Array.from({ length: 60 }, (_, i) => i % 4);

export const ISSUE13: { name: string; target: string; note: string; files: FuzzCase }[] = [
  {
    name: "report-lr-last-bit", target: "report", note: "chart ticks looped on values differing in the last bit until V8 aborted",
    files: { "run/metrics.jsonl": enc([0.001, 0.0010000000000000002, 0.001].map((lr, i) => JSON.stringify({ iter: i + 1, loss: 0.5, lr })).join("\n") + "\n") },
  },
  {
    name: "nifti-gzip-bomb", target: "nifti", note: "a small .nii.gz inflating far beyond its header's size took GBs of RAM",
    files: { "img.nii.gz": gzipSync(Buffer.concat([niftiBytes(), Buffer.alloc(32 << 20)]), { level: 9 }) },
  },
  {
    name: "nifti-pixdim-zero", target: "nifti", note: "pixdim 0 gave an all-zero affine that convert wrote",
    files: { "img.nii": patchNifti(niftiBytes(), (v) => { v.setInt16(NIFTI1.sformCode, 0, true); for (let i = 1; i <= 3; i++) v.setFloat32(NIFTI1.pixdim + 4 * i, 0, true); }) },
  },
  { name: "dicom-huge-slope", target: "dicom", note: "RescaleSlope 1e39 wrote a volume of +inf", files: { "x.dcm": dicomFile({ slope: "1e39" }) } },
  { name: "dicom-parallel-directions", target: "dicom", note: "parallel row/column vectors gave a singular affine", files: { "x.dcm": dicomFile({ orientation: "1\\0\\0\\1\\0\\0" }) } },
  { name: "dicom-deflate-bomb", target: "dicom", note: "a 1 MB deflated DICOM took 3.2 GB", files: { "x.dcm": dicomFile({ transferSyntax: TS_DEFLATED, trailingPadding: 32 << 20 }) } },
  {
    name: "dicom-two-patients-one-series", target: "dicom-folder", note: "two patients sharing a SeriesInstanceUID became one volume",
    files: {
      "in/a0.dcm": dicomFile({ patientId: "A", position: "0\\0\\0", sopUid: "1.9.1" }), "in/a1.dcm": dicomFile({ patientId: "A", position: "0\\0\\5", sopUid: "1.9.2" }),
      "in/b0.dcm": dicomFile({ patientId: "B", position: "0\\0\\0", sopUid: "1.9.3" }), "in/b1.dcm": dicomFile({ patientId: "B", position: "0\\0\\5", sopUid: "1.9.4" }),
    },
  },
  {
    name: "convert-one-bad-file-stops-all", target: "convert", note: "one file of another series with PixelSpacing 0\\0 stopped the whole folder",
    files: {
      "in/s0.dcm": dicomFile({ position: "0\\0\\0", sopUid: "1.9.1" }), "in/s1.dcm": dicomFile({ position: "0\\0\\5", sopUid: "1.9.2" }),
      "in/other.dcm": dicomFile({ seriesUid: "1.2.3.99", pixelSpacing: "0\\0", sopUid: "1.9.3" }),
    },
  },
  {
    name: "convert-labels-outside-classes", target: "convert", note: "label values 7 and 255 were copied without a word",
    files: { "in/x.nii.gz": gzipSync(niftiBytes({ dims: [6, 5, 2] })), "in/x_gt.nii.gz": labels(ramp.map((v, i) => (i === 0 ? 7 : i === 1 ? 255 : v))) },
  },
  { name: "contour-many-points", target: "contour", note: "rasterising tested every bounding-box pixel against every point", files: { "c.txt": enc(contourText({ points: 20_000, radius: 100, wobble: 5, shape: "star", junk: [] })) } },
  {
    name: "score-missing-prediction", target: "score", note: "score averaged over the subset of cases that had a prediction",
    files: { "gt/p/a_gt.nii.gz": labels(ramp), "gt/p/b_gt.nii.gz": labels(ramp), "pred/a.nii.gz": labels(ramp) },
  },
  {
    name: "score-dangling-link", target: "score", note: "one dangling symlink aborted score",
    files: { "gt/p/a_gt.nii.gz": labels(ramp), "pred/a.nii.gz": labels(ramp), "pred/ghost.nii.gz": { link: "pred/none.nii.gz" } },
  },
  {
    name: "score-info-cfg-folder", target: "score", note: "EISDIR with no file named when Info.cfg was a folder",
    files: { "gt/p/a_frame01_gt.nii.gz": labels(ramp), "gt/p/Info.cfg": { dir: true }, "pred/a_frame01.nii.gz": labels(ramp) },
  },
  {
    name: "report-malformed-scores", target: "report", note: "s.replace is not a function / Cannot read properties of null",
    files: { "run/eval/scores.json": enc(JSON.stringify({ classes: ["bg", "LV"], per_class: {}, cases: [{ id: 7, dice: null }] })) },
  },
  { name: "report-metrics-folder", target: "report", note: "EISDIR with no file named", files: { "run/metrics.jsonl": { dir: true } } },
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(FIXTURES, { recursive: true });
  for (const s of ISSUE13) {
    const file = join(FIXTURES, `issue13-${s.name}.json`);
    writeFileSync(file, `${JSON.stringify({ target: s.target, outcome: "issue 13", message: s.note, files: encodeCase(s.files) }, null, 1)}\n`);
    console.log(file);
  }
}
