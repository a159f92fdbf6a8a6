// Tests of the phantom on disk: the ACDC layout loads through the real ACDC loader, files are
// byte-identical for a seed, and the voxel spacing sits in the NIfTI header (read raw here,
// independently of src/io's reader).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { detectDataset, loadCase, loadDataset } from "../../src/io/datasets/index.js";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { generateCase } from "../../src/synth/phantom.js";
import { tempDir } from "./helpers.js";

const SIZE = 64;

function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), join(rel, e.name));
      else out.set(join(rel, e.name), readFileSync(join(d, e.name)));
    }
  };
  walk(dir, "");
  return out;
}

test("same seed writes byte-identical files; another seed writes different images", (t) => {
  const a = tempDir("a"), b = tempDir("b"), c = tempDir("c");
  t.after(() => { for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true }); });
  writeSynthDataset({ out: a, cases: 2, seed: 11, size: SIZE, preview: false });
  writeSynthDataset({ out: b, cases: 2, seed: 11, size: SIZE, preview: false });
  writeSynthDataset({ out: c, cases: 2, seed: 12, size: SIZE, preview: false });
  const fa = filesOf(a), fb = filesOf(b), fc = filesOf(c);
  assert.deepEqual([...fa.keys()].sort(), [...fb.keys()].sort());
  for (const [name, bytes] of fa) assert.ok(bytes.equals(fb.get(name) as Buffer), `${name} differs between runs`);
  const image = "patient001/patient001_frame01.nii.gz";
  assert.ok(fc.has(image) && !fa.get(image)?.equals(fc.get(image) as Buffer));
});

test("the NIfTI header carries the phantom's spacing (pixdim and sform)", (t) => {
  const dir = tempDir("hdr");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeSynthDataset({ out: dir, cases: 1, seed: 3, size: SIZE, preview: false });
  const c = generateCase(3, 0, SIZE);
  const { pixel, sliceGap, slices } = c.spec.acquisition;
  for (const suffix of ["", "_gt"]) {
    const raw = gunzipSync(readFileSync(join(dir, "patient001", `patient001_frame01${suffix}.nii.gz`)));
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    assert.equal(v.getInt32(0, true), 348);
    assert.deepEqual([v.getInt16(42, true), v.getInt16(44, true), v.getInt16(46, true)], [SIZE, SIZE, slices]);
    assert.ok(Math.abs(v.getFloat32(80, true) - pixel) < 1e-5);
    assert.ok(Math.abs(v.getFloat32(84, true) - pixel) < 1e-5);
    assert.ok(Math.abs(v.getFloat32(88, true) - sliceGap) < 1e-5);
    // sform diagonal (srow_x[0], srow_y[1], srow_z[2]) = spacing.
    assert.ok(Math.abs(v.getFloat32(280, true) - pixel) < 1e-5);
    assert.ok(Math.abs(v.getFloat32(296 + 4, true) - pixel) < 1e-5);
    assert.ok(Math.abs(v.getFloat32(312 + 8, true) - sliceGap) < 1e-5);
    // int16 images like ACDC (datatype 4), uint8 labels (datatype 2).
    assert.equal(v.getInt16(70, true), suffix ? 2 : 4);
  }
});

test("a generated set loads through the ACDC loader with matching labels, geometry and Info.cfg", (t) => {
  const dir = tempDir("acdc");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = writeSynthDataset({ out: dir, cases: 3, seed: 8, size: SIZE, preview: true });
  assert.equal(result.previews.length, 3);
  assert.deepEqual([...readFileSync(result.previews[0]).subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  assert.equal(detectDataset(dir), "acdc");
  const ds = loadDataset(dir);
  assert.deepEqual(ds.problems, []);
  assert.equal(ds.cases.length, 6);
  for (const kase of ds.cases) {
    const index = Number(kase.patient.slice(-3)) - 1;
    const c = generateCase(8, index, SIZE);
    const frame = c.frames[kase.phase === "ED" ? 0 : 1];
    const { image, labels } = loadCase(kase);
    assert.ok(labels);
    assert.deepEqual(labels.data, frame.labels.data);
    assert.deepEqual(image.dims.slice(0, 3), frame.image.dims);
    assert.ok(Math.abs(image.spacing[2] - frame.image.spacing[2]) < 1e-5);
    // The stored int16 image is the float phantom rounded.
    for (let p = 0; p < image.data.length; p += 97) assert.equal(image.data[p], Math.round(frame.image.data[p]));
    assert.equal(kase.info.group, c.info.Group);
    assert.equal(kase.info.frame, frame.frame);
  }
});

test("bad options fail with messages naming the option", () => {
  assert.throws(() => writeSynthDataset({ out: "/nonexistent", cases: 0, seed: 1, size: SIZE, preview: false }), /--cases/);
  assert.throws(() => writeSynthDataset({ out: "/nonexistent", cases: 1, seed: -1, size: SIZE, preview: false }), /--seed/);
});
