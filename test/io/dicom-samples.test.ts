// Reads every pydicom sample in ../shared/data/dicom-samples and compares with the values pydicom
// recorded (scripts/fixtures/dicom.py -> test/fixtures/io/dicom-samples.json); files pydicom
// cannot decode here must give a clear, file-naming IoError or (checked another way) decode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDicomBytes, readDicomFile } from "../../src/io/dicom/index.js";
import { IoError } from "../../src/io/errors.js";
import type { ImageVolume } from "../../src/io/image.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SAMPLES = join(ROOT, "..", "shared", "data", "dicom-samples");
const skip = !existsSync(SAMPLES) && "../shared/data/dicom-samples absent";

interface SampleRef {
  file: string;
  transferSyntax: string | null;
  decoded: boolean;
  reason?: string;
  rows: number;
  cols: number;
  samplesPerPixel: number;
  sum: number;
  luminanceSum?: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  pixelSpacing: number[] | null;
  orientation: number[] | null;
  position: number[] | null;
  samples: { row: number; col: number; value: number | number[] }[];
}

const REF = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "io", "dicom-samples.json"), "utf8")) as { files: SampleRef[] };
/** Lossy syntaxes: pydicom and we may use different decoder builds, so allow small differences. */
const LOSSY = new Set(["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.91"]);

function sumOf(v: ImageVolume): number {
  let s = 0;
  for (let i = 0; i < v.data.length; i++) s += v.data[i];
  return s;
}

function checkAgainstPydicom(v: ImageVolume, r: SampleRef): void {
  assert.deepEqual(v.dims, [r.cols, r.rows, 1]);
  const slope = r.rescaleSlope, icpt = r.rescaleIntercept;
  const lossy = LOSSY.has(r.transferSyntax ?? "");
  const expectedSum = r.samplesPerPixel === 3 ? r.luminanceSum! : r.sum * slope + icpt * r.rows * r.cols;
  // Lossless: exact (float32 accumulation aside); lossy: sum within 0.5 % and samples within 2 grey levels.
  const tol = lossy ? Math.abs(expectedSum) * 5e-3 : Math.max(1e-6 * Math.abs(expectedSum), 1e-3);
  assert.ok(Math.abs(sumOf(v) - expectedSum) <= tol, `${r.file}: sum ${sumOf(v)} vs pydicom ${expectedSum}`);
  for (const s of r.samples) {
    const raw = Array.isArray(s.value) ? 0.299 * s.value[0] + 0.587 * s.value[1] + 0.114 * s.value[2] : s.value * slope + icpt;
    const got = v.data[s.row * r.cols + s.col];
    assert.ok(Math.abs(got - raw) <= (lossy ? 2 : 1e-3), `${r.file} (${s.row},${s.col}): ${got} vs ${raw}`);
  }
  if (r.pixelSpacing) assert.deepEqual(v.spacing.slice(0, 2), [r.pixelSpacing[1], r.pixelSpacing[0]]);
  if (r.orientation && r.position) {
    // First column of the affine is the row direction * column spacing, in RAS (LPS x, y negated).
    const ps = r.pixelSpacing ?? [1, 1];
    const expected = [-r.orientation[0] * ps[1], -r.orientation[1] * ps[1], r.orientation[2] * ps[1]];
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(v.affine[a * 4] - expected[a]) < 1e-6, `${r.file}: affine column 0`);
    assert.deepEqual([v.affine[3], v.affine[7], v.affine[11]].map((x) => x + 0), [-r.position[0] + 0, -r.position[1] + 0, r.position[2]]);
  }
}

for (const r of REF.files.filter((f) => f.decoded)) {
  test(`dicom sample ${r.file} (${r.transferSyntax}) matches pydicom`, { skip }, () => {
    checkAgainstPydicom(readDicomFile(join(SAMPLES, r.file)), r);
  });
}

/** What each file pydicom cannot decode here must produce from our reader. */
const NOT_DECODED_BY_PYDICOM: Record<string, RegExp> = {
  "ExplVR_LitEndNoMeta.dcm": /no pixel data \(modality RTPLAN/,
  "rtstruct.dcm": /no pixel data \(modality RTSTRUCT/,
  "MR_truncated.dcm": /truncated/,
  "meta_missing_tsyntax.dcm": /missing transfer syntax \(0002,0010\)/,
  "badVR.dcm": /bad integer string in \(0028,0008\): "1A"/,
  "JPEG-lossy.dcm": /unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.51 in .*JPEG-lossy\.dcm/,
  // A stray byte precedes the data set, so it is neither Part 10 nor a bare data set.
  "no_meta.dcm": /not a DICOM file/,
};

/** Decoded by us although pydicom cannot here; each is checked by its own test below. */
const CHECKED_OTHERWISE = new Set(["MR_small_jpeg_ls_lossless.dcm"]);

for (const r of REF.files.filter((f) => !f.decoded && !CHECKED_OTHERWISE.has(f.file))) {
  test(`dicom sample ${r.file} (pydicom: ${r.reason?.slice(0, 40)}) gives a clear error`, { skip }, () => {
    const expected = NOT_DECODED_BY_PYDICOM[r.file];
    assert.ok(expected, `no expectation recorded for ${r.file}`);
    assert.throws(() => readDicomFile(join(SAMPLES, r.file)), (err: unknown) => {
      assert.ok(err instanceof IoError, `${r.file}: ${String(err)}`);
      assert.ok(err.message.includes(r.file), `message names the file: ${err.message}`);
      assert.match(err.message, expected);
      return true;
    });
  });
}

test("dicom MR_small_jpeg_ls_lossless.dcm (pydicom lacks CharLS here) equals the uncompressed MR_small", { skip }, () => {
  // The lossless JPEG-LS decode is checked against the same image stored uncompressed: exact match.
  const ls = readDicomFile(join(SAMPLES, "MR_small_jpeg_ls_lossless.dcm"));
  const plain = readDicomFile(join(SAMPLES, "MR_small.dcm"));
  assert.deepEqual(ls.dims, plain.dims);
  assert.deepEqual(Array.from(ls.data), Array.from(plain.data));
  assert.deepEqual(ls.affine, plain.affine);
});

test("dicom bare data set (no preamble, no meta) reads like the Part 10 original", { skip }, () => {
  // no_meta.dcm is CT_small.dcm without its meta header, after one stray leading byte.
  const bare = readFileSync(join(SAMPLES, "no_meta.dcm")).subarray(1);
  const v = readDicomBytes(bare, "no_meta-stripped.dcm");
  const ref = REF.files.find((f) => f.file === "CT_small.dcm")!;
  checkAgainstPydicom(v, ref);
  assert.equal(v.meta.transferSyntax, "1.2.840.10008.1.2.1");
});

test("dicom deflated explicit VR little endian (synthetic, written by pydicom)", () => {
  const synth = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "io", "dicom-synth.json"), "utf8")) as {
    deflated: { file: string; values: number[]; rescaleSlope: number; rescaleIntercept: number };
  };
  const v = readDicomFile(join(ROOT, "test", "fixtures", "io", "dicom-synth", synth.deflated.file));
  assert.equal(v.meta.transferSyntax, "1.2.840.10008.1.2.1.99");
  assert.deepEqual(v.dims, [8, 6, 1]);
  assert.deepEqual(Array.from(v.data), synth.deflated.values.map((x) => x * synth.deflated.rescaleSlope + synth.deflated.rescaleIntercept));
  assert.deepEqual(v.spacing.slice(0, 2), [0.75, 1.25]);
  assert.deepEqual([v.affine[3], v.affine[7], v.affine[11]], [5, -7, 3]);
});

test("dicom non-DICOM bytes and empty input give IoErrors", () => {
  assert.throws(() => readDicomBytes(new Uint8Array(0), "empty.dcm"), /empty\.dcm: not a DICOM file/);
  assert.throws(() => readDicomBytes(new TextEncoder().encode("hello world, not dicom at all"), "text.dcm"), /text\.dcm: not a DICOM file/);
  assert.throws(() => readDicomFile(join(ROOT, "no-such-file.dcm")), IoError);
});

test("dicom JPEG baseline and JPEG lossless (synthetic, committed)", () => {
  const synth = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "io", "dicom-synth.json"), "utf8")) as {
    jpegBaseline: { file: string; pydicomValues: number[]; sourceValues: number[] };
    jpegLossless: { file: string; values: number[] };
  };
  const dir = join(ROOT, "test", "fixtures", "io", "dicom-synth");
  // Baseline: Pillow's libjpeg encoded it, pydicom (Pillow) decoded the reference; decoders may
  // round IDCT output differently, so within 1 grey level; and close to the source image.
  const base = readDicomFile(join(dir, synth.jpegBaseline.file));
  assert.equal(base.meta.transferSyntax, "1.2.840.10008.1.2.4.50");
  assert.deepEqual(base.dims, [16, 12, 1]);
  synth.jpegBaseline.pydicomValues.forEach((w, i) => assert.ok(Math.abs(base.data[i] - w) <= 1, `baseline pixel ${i}: ${base.data[i]} vs ${w}`));
  synth.jpegBaseline.sourceValues.forEach((w, i) => assert.ok(Math.abs(base.data[i] - w) <= 8, `baseline pixel ${i} vs source`));
  // Lossless (process 14 SV1, 12-bit, encoded by the fixture script's own encoder): exact.
  const ll = readDicomFile(join(dir, synth.jpegLossless.file));
  assert.equal(ll.meta.transferSyntax, "1.2.840.10008.1.2.4.70");
  assert.deepEqual(Array.from(ll.data), synth.jpegLossless.values);
});

test("dicom enhanced multi-frame: geometry and rescale from the functional groups", () => {
  const ref = (JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "io", "dicom-synth.json"), "utf8")) as {
    multiframe: { file: string; dims: number[]; values: number[]; affine: number[] };
  }).multiframe;
  const v = readDicomFile(join(ROOT, "test", "fixtures", "io", "dicom-synth", ref.file));
  assert.deepEqual(v.dims, ref.dims);
  assert.deepEqual(Array.from(v.data), ref.values);
  ref.affine.forEach((a, i) => assert.ok(Math.abs(v.affine[i] - a) < 1e-9, `affine[${i}] ${v.affine[i]} vs ${a}`));
  assert.deepEqual(v.spacing, [1.1, 0.9, 4]);
});
