// NIfTI reading against nibabel (values recorded by scripts/fixtures/io.py), and write round trips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readNifti, writeNifti, writeNiftiLabels, decodeNifti, encodeNifti1 } from "../../src/io/nifti/index.js";
import type { ImageVolume } from "../../src/io/image.js";
import { SHARED, REPO, readJson, skipUnless, tempDir } from "./helpers.js";

interface NiftiRef {
  file: string;
  root: "shared" | "repo";
  format: string;
  shape: number[];
  dtype: string;
  affine: number[];
  probe: [number, number][];
  sum: number;
  sumAbs: number;
}

const refs = readJson<{ files: NiftiRef[] }>("nifti-reference.json").files;

function close(a: number, b: number, rel: number, what: string): void {
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

function sums(v: ImageVolume): [number, number] {
  let s = 0, sa = 0;
  for (const x of v.data) { s += x; sa += Math.abs(x); }
  return [s, sa];
}

for (const ref of refs) {
  const path = ref.root === "shared" ? join(SHARED, ref.file) : join(REPO, ref.file);
  test(`reads ${ref.file} as nibabel does`, { skip: skipUnless(path) }, () => {
    const v = readNifti(path);
    const shape = [...ref.shape];
    while (shape.length < 3) shape.push(1);
    assert.deepEqual(v.dims, shape);
    assert.equal(v.meta.format, ref.format === "Nifti2Image" ? "nifti2" : "nifti1");
    ref.affine.forEach((x, i) => close(v.affine[i], x, 1e-6, `affine[${i}]`));
    for (const [i, x] of ref.probe) close(v.data[i], x, 1e-6, `voxel ${i}`);
    const [s, sa] = sums(v);
    close(s, ref.sum, 1e-9, "sum");
    close(sa, ref.sumAbs, 1e-9, "sum |x|");
  });
}

test("affine selection follows nibabel: sform, else qform, else centred base affine", () => {
  const byName = (n: string): NiftiRef => refs.find((r) => r.file.endsWith(n)) as NiftiRef;
  // int8_noxform has neither: nibabel puts the origin at the centre and flips x.
  const base = readNifti(join(REPO, byName("int8_noxform.nii").file));
  assert.deepEqual(base.affine.slice(0, 4), [-2, 0, 0, 2]);
  // the qform-only file has a rotation: a diagonal affine would fail here.
  const q = readNifti(join(REPO, byName("int16_scaled.nii.gz").file));
  assert.ok(Math.abs(q.affine[1]) > 0.01);
  assert.equal(q.meta.sformCode, 0);
});

test("writing keeps the affine, the data and the type; labels become uint8", () => {
  const dir = tempDir("nifti");
  const src = readNifti(join(REPO, "test/fixtures/io/synthetic/int16_scaled.nii.gz"));
  const out = join(dir, "img.nii.gz");
  writeNifti(out, src, { as: "float32" });
  const back = readNifti(out);
  assert.ok(back.data instanceof Float32Array);
  assert.deepEqual(back.dims, src.dims);
  src.affine.forEach((x, i) => close(back.affine[i], x, 1e-6, `affine[${i}]`));
  src.data.forEach((x, i) => assert.equal(back.data[i], Math.fround(x)));
  // The qform written next to the sform describes the same geometry.
  const raw = encodeNifti1(src);
  new DataView(raw.buffer).setInt16(254, 0, true); // sform_code 0 -> readers fall back to the qform
  const viaQform = decodeNifti(raw, "qform-only");
  src.affine.forEach((x, i) => close(viaQform.affine[i], x, 1e-5, `qform affine[${i}]`));

  const labels = { ...src, data: Uint8Array.from(src.data, (x) => (x > 0 ? 3 : 0)) };
  writeNiftiLabels(join(dir, "img_gt.nii.gz"), labels);
  const lb = readNifti(join(dir, "img_gt.nii.gz"));
  assert.ok(lb.data instanceof Uint8Array);
  assert.deepEqual([...lb.data], [...labels.data]);
});

test("ACDC label file round-trips byte-exact in data and affine", { skip: skipUnless(join(SHARED, "acdc")) }, () => {
  const gt = readNifti(join(SHARED, "acdc/training/patient001/patient001_frame01_gt.nii.gz"));
  const dir = tempDir("nifti");
  writeNiftiLabels(join(dir, "gt.nii.gz"), gt);
  const back = readNifti(join(dir, "gt.nii.gz"));
  assert.deepEqual(back.affine, gt.affine);
  assert.deepEqual(Buffer.from(back.data as Uint8Array), Buffer.from(gt.data as Uint8Array));
});
