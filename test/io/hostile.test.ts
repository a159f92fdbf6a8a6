// The classes of hostile and careless input found in issue 13, one test each, on inputs built
// field by field (test/fuzz/builders.ts): every one gives a clear IoError naming the file, or is
// handled (the rest of a folder still loads) — never a crash, a hang, a huge allocation or a
// silently wrong volume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeNifti, readNifti, writeNifti } from "../../src/io/nifti/index.js";
import { loadDicomSeries, readDicomBytes, scanDicomFolder, type DicomFileError } from "../../src/io/dicom/index.js";
import { IoError } from "../../src/io/errors.js";
import { geometryProblem, type ImageVolume } from "../../src/io/image.js";
import { convertInput } from "../../src/io/convert.js";
import { loadDataset } from "../../src/io/datasets/index.js";
import { rasterizePolygon } from "../../src/io/contours.js";
import { writeFileAtomic } from "../../src/util/fs.js";
import { walkFiles } from "../../src/util/walk.js";
import { registerConvert } from "../../src/cli/commands/convert.js";
import { runCommand } from "../eval/helpers.js";
import { NIFTI1, TS_DEFLATED, dicomFile, element, niftiBytes, patchNifti, sliceElements } from "../fuzz/builders.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cardioseg-hostile-"));
}

function throwsIo(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IoError, `IoError expected, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.match(err.problem, problem);
    return true;
  });
}

test("a .nii.gz whose stream holds far more than its header says stops at the header's size", () => {
  // Header: 6x5x3 float32 (360 bytes of voxels); stream: the same plus 64 MiB of zeros (~64 kB gzipped).
  const raw = niftiBytes();
  const bomb = gzipSync(Buffer.concat([raw, Buffer.alloc(64 << 20)]), { level: 9 });
  assert.ok(bomb.length < 200_000);
  throwsIo(() => decodeNifti(bomb, "bomb.nii.gz"), "bomb.nii.gz", /gzip content is larger than the \d+ bytes its header describes/);
});

test("a header claiming more voxels than any image is refused before inflating", () => {
  const huge = patchNifti(niftiBytes(), (v) => { v.setInt16(NIFTI1.dim + 2, 1024, true); v.setInt16(NIFTI1.dim + 4, 1024, true); v.setInt16(NIFTI1.dim + 6, 1024, true); });
  throwsIo(() => decodeNifti(gzipSync(huge), "big.nii.gz"), "big.nii.gz", /voxels, over the limit of 268435456/);
});

test("a deflated DICOM that inflates far beyond its header's pixel data is refused at that ceiling", () => {
  const bomb = dicomFile({ transferSyntax: TS_DEFLATED, trailingPadding: 64 << 20 });
  assert.ok(bomb.length < 200_000);
  throwsIo(() => readDicomBytes(bomb, "bomb.dcm"), "bomb.dcm", /inflates to more than the \d+ bytes its header describes/);
  // A pixel element longer than Rows x Columns x BitsAllocated describe is refused the same way.
  const long = sliceElements({}).map((e) => (e.tag === 0x7fe00010 ? element(e.tag, "OW", new Uint8Array(1 << 20)) : e));
  throwsIo(() => readDicomBytes(dicomFile({ transferSyntax: TS_DEFLATED }, long), "long.dcm"), "long.dcm", /pixel data element of 1048576 bytes/);
  // And a good deflated file still reads.
  assert.deepEqual(readDicomBytes(dicomFile({ transferSyntax: TS_DEFLATED }), "ok.dcm").dims, [5, 4, 1]);
});

test("NIfTI geometry: pixdim 0 with a qform is a singular affine, refused; a one-slice file gets a slice axis", () => {
  const zero = patchNifti(niftiBytes(), (v) => {
    v.setInt16(NIFTI1.sformCode, 0, true);
    for (let i = 1; i <= 3; i++) v.setFloat32(NIFTI1.pixdim + 4 * i, 0, true);
  });
  throwsIo(() => decodeNifti(zero, "zero.nii"), "zero.nii", /voxel size must be positive and finite, got \(0, 0, 0\), from the header's qform and pixdim/);
  const parallel = patchNifti(niftiBytes(), (v) => { v.setFloat32(NIFTI1.srow + 4, 1.5, true); v.setFloat32(NIFTI1.srow + 5 * 4, 0, true); });
  throwsIo(() => decodeNifti(parallel, "parallel.nii"), "parallel.nii", /affine is singular .*not independent.*sform/);
  const nan = patchNifti(niftiBytes(), (v) => v.setFloat32(NIFTI1.srow, Number.NaN, true));
  throwsIo(() => decodeNifti(nan, "nan.nii"), "nan.nii", /non-finite/);
  // One slice, sform third column zero: accepted with the unit normal.
  const flat = patchNifti(niftiBytes({ dims: [6, 5, 1] }), (v) => { v.setFloat32(NIFTI1.srow + 2 * 4 + 32, 0, true); v.setFloat32(NIFTI1.pixdim + 12, 0, true); });
  const img = decodeNifti(flat, "flat.nii");
  assert.deepEqual([img.affine[2], img.affine[6], img.affine[10]], [0, 0, 1]);
  assert.equal(img.spacing[2], 1);
});

test("NIfTI scl_slope that overflows float32 is refused, naming the voxel", () => {
  const bytes = patchNifti(niftiBytes({ as: "int16" }), (v) => v.setFloat32(NIFTI1.sclSlope, 3e38, true));
  throwsIo(() => decodeNifti(bytes, "slope.nii"), "slope.nii", /scl_slope 3\.0000000054977558e\+38 .* not finite/);
});

test("DICOM: huge RescaleSlope, parallel or skewed directions, zero spacing are refused per file", () => {
  throwsIo(() => readDicomBytes(dicomFile({ slope: "1e39" }), "a.dcm"), "a.dcm", /RescaleSlope 1e\+39 .* not finite/);
  throwsIo(() => readDicomBytes(dicomFile({ orientation: "1\\0\\0\\1\\0\\0" }), "b.dcm"), "b.dcm", /directions are parallel/);
  throwsIo(() => readDicomBytes(dicomFile({ orientation: "1\\0\\0\\0.5\\0.8\\0" }), "c.dcm"), "c.dcm", /not perpendicular/);
  throwsIo(() => readDicomBytes(dicomFile({ pixelSpacing: "0\\0" }), "d.dcm"), "d.dcm", /bad PixelSpacing 0\\0/);
  throwsIo(() => readDicomBytes(dicomFile({ orientation: "0\\0\\0\\0\\1\\0" }), "e.dcm"), "e.dcm", /bad ImageOrientationPatient vector/);
});

test("DICOM folder: one bad file of another series does not stop the good series; uneven gaps are refused", () => {
  const dir = tempDir();
  try {
    for (let k = 0; k < 3; k++) writeFileSync(join(dir, `s${k}.dcm`), dicomFile({ instanceNumber: k + 1, position: `0\\0\\${5 * k}`, sopUid: `1.2.3.9.${k}` }));
    writeFileSync(join(dir, "other.dcm"), dicomFile({ seriesUid: "1.2.3.77", pixelSpacing: "0\\0", sopUid: "1.2.3.8" }));
    writeFileSync(join(dir, "skew.dcm"), dicomFile({ seriesUid: "1.2.3.78", orientation: "1\\0\\0\\1\\0\\0", sopUid: "1.2.3.7" }));
    const errors: DicomFileError[] = [];
    const vols = loadDicomSeries(dir, { onError: (e) => errors.push(e) });
    assert.equal(vols.length, 1);
    assert.deepEqual(vols[0].dims, [5, 4, 3]);
    assert.deepEqual(errors.map((e) => e.file.split("/").pop()).sort(), ["other.dcm", "skew.dcm"]);
    // A missing slice: positions 0, 10, 15 give gaps 10 and 5; the stack is refused, naming a file.
    rmSync(join(dir, "s1.dcm"));
    writeFileSync(join(dir, "s3.dcm"), dicomFile({ instanceNumber: 4, position: "0\\0\\15", sopUid: "1.2.3.9.3" }));
    const errors2: DicomFileError[] = [];
    assert.equal(loadDicomSeries(dir, { onError: (e) => errors2.push(e) }).length, 0);
    assert.ok(errors2.some((e) => /s0\.dcm: uneven slice spacing: gap 10 mm between slices 0 and 1, 7\.5 mm on average/.test(e.message)), errors2.map((e) => e.message).join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("DICOM: two patients sharing one SeriesInstanceUID are two volumes, and it is said", () => {
  const dir = tempDir();
  try {
    for (const [p, patient] of ["A", "B"].entries()) {
      for (let k = 0; k < 2; k++) {
        writeFileSync(join(dir, `${patient}${k}.dcm`), dicomFile({ patientId: patient, instanceNumber: k + 1, position: `0\\0\\${4 * k}`, sopUid: `1.2.5.${p}.${k}`, studyUid: `1.2.6.${p}` }));
      }
    }
    const scan = scanDicomFolder(dir);
    assert.equal(scan.series.length, 2);
    assert.ok(scan.warnings.some((w) => /SeriesInstanceUID 1\.2\.3\.2 is used by 2 different patients/.test(w)), scan.warnings.join("\n"));
    const warnings: string[] = [];
    const vols = loadDicomSeries(dir, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(vols.map((v) => `${v.meta.patientId}:${v.dims.join("x")}`).sort(), ["A:5x4x2", "B:5x4x2"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("folder walks report dangling links, link loops and what lies beyond the depth limit", () => {
  const dir = tempDir();
  try {
    let deep = dir;
    for (let d = 0; d < 4; d++) {
      deep = join(deep, `d${d}`);
      mkdirSync(deep);
      writeFileSync(join(deep, `f${d}.txt`), "x");
    }
    symlinkSync(join(dir, "nowhere"), join(dir, "dangling.txt"));
    symlinkSync(dir, join(dir, "d0", "loop"));
    const walk = walkFiles(dir, { maxDepth: 2 });
    assert.deepEqual(walk.files.map((f) => f.slice(dir.length + 1)), ["d0/f0.txt", "d0/d1/f1.txt"]);
    const messages = walk.problems.map((p) => p.message).join("\n");
    assert.match(messages, /dangling\.txt: dangling symbolic link/);
    assert.match(messages, /loop: folder already searched/);
    assert.match(messages, /d2: not searched, deeper than the 2-level folder limit/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("convert: labels outside the class list fail their case naming the values (255, not annotated, passes); the rest is written", () => {
  const dir = tempDir(), out = join(dir, "out");
  try {
    const img = niftiBytes();
    writeFileSync(join(dir, "a.nii"), img);
    writeFileSync(join(dir, "a_gt.nii"), niftiBytes({ values: Array.from({ length: 90 }, (_, i) => (i < 3 ? 7 : i === 3 ? 9 : i === 4 ? 255 : i % 4)), as: "uint8" }));
    writeFileSync(join(dir, "b.nii"), img);
    writeFileSync(join(dir, "b_gt.nii"), niftiBytes({ values: Array.from({ length: 90 }, (_, i) => i % 4), as: "uint8" }));
    const summary = convertInput(dir, out);
    assert.equal(summary.problems.length, 1);
    assert.match(summary.problems[0].message, /a_gt\.nii: label values 7 \(3 voxels\), 9 \(1 voxel\) are outside the class list 0\.\.3 \(background, RV, MYO, LV\)$/);
    assert.deepEqual(readdirSync(out).sort(), ["b.nii.gz", "b_gt.nii.gz", "convert-report.json"]);
    // A wider class list accepts 7 but still not 9; the 255 voxel (not annotated) is copied as it is.
    const wide = convertInput(dir, join(dir, "out2"), { classes: ["bg", "a", "b", "c", "d", "e", "f", "g"] });
    assert.match(wide.problems[0].message, /label value 9 \(1 voxel\) is outside the class list 0\.\.7/);
    const only255 = niftiBytes({ values: Array.from({ length: 90 }, (_, i) => (i === 4 ? 255 : i % 4)), as: "uint8" });
    writeFileSync(join(dir, "a_gt.nii"), only255);
    const partial = convertInput(dir, join(dir, "out3"));
    assert.deepEqual(partial.problems, []);
    assert.equal(readNifti(join(dir, "out3", "a_gt.nii.gz")).data[4], 255);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no writer emits a singular, non-finite or overflowing volume; a folder as output leaves no temp file", () => {
  const dir = tempDir();
  try {
    const good: ImageVolume = { data: new Float32Array(8), dims: [2, 2, 2], spacing: [1, 1, 1], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], meta: {} };
    assert.equal(geometryProblem(good), undefined);
    const singular = { ...good, affine: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
    throwsIo(() => writeNifti(join(dir, "s.nii.gz"), singular), join(dir, "s.nii.gz"), /not written: affine is singular/);
    throwsIo(() => writeNifti(join(dir, "z.nii.gz"), { ...good, spacing: [1, 0, 1] }), join(dir, "z.nii.gz"), /voxel size must be positive/);
    const huge = { ...good, data: Float64Array.from({ length: 8 }, () => 1e300) };
    throwsIo(() => writeNifti(join(dir, "h.nii.gz"), huge, { as: "float32" }), join(dir, "h.nii.gz"), /does not fit the float32 type/);
    mkdirSync(join(dir, "taken"));
    assert.throws(() => writeFileAtomic(join(dir, "taken"), "x"), /taken: cannot write \(it is a folder\)/);
    assert.deepEqual(readdirSync(dir), ["taken"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a folder where a file should be is an error naming it", () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, "x.nii.gz"));
    assert.throws(() => convertInput(join(dir, "x.nii.gz"), join(dir, "out")), (err: unknown) => err instanceof Error && err.message.includes("x.nii.gz"));
    throwsIo(() => readDicomBytes(new Uint8Array(3), "tiny.dcm"), "tiny.dcm", /not a DICOM file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rasterising a million-point contour on a 1024 x 1024 image works; a pathological one is refused", () => {
  const n = 1_000_000;
  const points = Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    return { x: 512 + 400 * Math.cos(a), y: 512 + 400 * Math.sin(a) };
  });
  const mask = rasterizePolygon(points, 1024, 1024);
  let area = 0;
  for (const v of mask) area += v;
  assert.ok(Math.abs(area - Math.PI * 400 * 400) < 2 * Math.PI * 400, `area ${area}`);
  const zigzag = Array.from({ length: 200_000 }, (_, i) => ({ x: (i * 1024) / 200_000, y: i % 2 ? 0 : 1023 }));
  assert.throws(() => rasterizePolygon(zigzag, 1024, 1024), /crosses the image rows \d+ times/);
});

test("cardioseg convert exits 1 when any case failed, after writing the others", async () => {
  const dir = tempDir();
  const errors: string[] = [];
  const error = console.error;
  console.error = (...parts: unknown[]): void => { errors.push(parts.map(String).join(" ")); };
  try {
    writeFileSync(join(dir, "a.nii"), niftiBytes());
    writeFileSync(join(dir, "a_gt.nii"), niftiBytes({ values: Array.from({ length: 90 }, () => 9), as: "uint8" }));
    writeFileSync(join(dir, "b.nii"), niftiBytes());
    process.exitCode = 0;
    const out = await runCommand(registerConvert, ["convert", dir, "--out", join(dir, "out"), "--quiet"]);
    assert.equal(process.exitCode, 1);
    assert.match(out, /generic: 2 cases, 1 files written .* 1 problems/);
    assert.match(errors.join("\n"), /error: .*a_gt\.nii: label value 9 \(90 voxels\) is outside the class list/);
  } finally {
    process.exitCode = 0;
    console.error = error;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a converted folder's dataset.json is checked against its schema, naming the file and the field", () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, "a.nii"), niftiBytes());
    const manifest = join(dir, "dataset.json");
    writeFileSync(manifest, JSON.stringify({ format: "cardioseg-dataset-1", structures: ["LV", 7] }));
    assert.throws(() => loadDataset(dir), (e: unknown) => e instanceof IoError && e.file === manifest
      && /not a valid cardioseg data set manifest: structures\[1\]: .*expected string/.test(e.message));
    writeFileSync(manifest, JSON.stringify({ format: "other", structures: ["LV"] }));
    assert.throws(() => loadDataset(dir), /dataset\.json: not a valid cardioseg data set manifest: format: not a cardioseg data set manifest/);
    rmSync(manifest);
    mkdirSync(manifest);
    assert.throws(() => loadDataset(dir), /dataset\.json: is a folder, not a file/);
    rmSync(manifest, { recursive: true });
    writeFileSync(manifest, JSON.stringify({ format: "cardioseg-dataset-1", structures: ["MYO", "LV"], labels: { 255: "not annotated" } }));
    assert.deepEqual(loadDataset(dir).structures, ["MYO", "LV"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
