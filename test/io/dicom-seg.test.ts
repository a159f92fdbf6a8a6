// DICOM SEG export: write labels for a synthetic DICOM cine phase, read the file back with
// dicom-parser (an independent decoder of what dcmjs wrote) and check segments, frames, frame
// positions, the bit-packed masks and the references to the source SOP instances.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import dicomParser from "dicom-parser";
import type { DataSet } from "dicom-parser";
import { loadDicomSeries, scanDicomFolder, writeDicomSeg } from "../../src/io/dicom/index.js";
import { IoError } from "../../src/io/errors.js";
import { diagonalAffine, labelLike, type LabelVolume } from "../../src/io/image.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CINE = join(ROOT, "test", "fixtures", "io", "dicom-synth", "cine");
const CLASSES = ["background", "RV", "myocardium", "LV"];

function parse(path: string): DataSet {
  return dicomParser.parseDicom(readFileSync(path));
}

function items(ds: DataSet, tag: string): DataSet[] {
  return (ds.elements[tag]?.items ?? []).map((i) => i.dataSet!);
}

function nested(ds: DataSet, ...path: string[]): DataSet {
  return path.reduce((d, tag) => items(d, tag)[0], ds);
}

function phaseLabels(): { labels: LabelVolume; files: string[] } {
  const vol = loadDicomSeries(CINE).find((v) => v.dims[2] === 3 && v.meta.phase === 1)!;
  const labels = labelLike(vol);
  for (let i = 0; i < labels.data.length; i++) labels.data[i] = (i * 7) % 4;
  return { labels, files: String(vol.meta.files).split("|") };
}

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-seg-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("dicom SEG from a DICOM series: segments, frames, positions, masks and source references", () => {
  withTmp((dir) => {
    const { labels, files } = phaseLabels();
    const series = scanDicomFolder(CINE).series.find((s) => s.seriesInstanceUID === labels.meta.seriesInstanceUID)!;
    const out = join(dir, "seg.dcm");
    writeDicomSeg(out, labels, series, CLASSES);
    const seg = parse(out);
    const sources = files.map(parse);
    assert.equal(seg.string("x00080016"), "1.2.840.10008.5.1.4.1.1.66.4");
    assert.equal(seg.string("x00620001"), "BINARY");
    assert.equal(seg.intString("x00280008"), 3 * 3);
    assert.deepEqual(items(seg, "x00620002").map((s) => s.string("x00620005")), ["RV", "myocardium", "LV"]);
    assert.equal(seg.string("x0020000d"), sources[0].string("x0020000d"));
    assert.equal(seg.string("x00200052"), sources[0].string("x00200052"));
    const refSeries = nested(seg, "x00081115");
    assert.equal(refSeries.string("x0020000e"), labels.meta.seriesInstanceUID);
    assert.deepEqual(items(refSeries, "x0008114a").map((r) => r.string("x00081155")), sources.map((s) => s.string("x00080018")));
    const frames = items(seg, "x52009230");
    const [nx, ny, nz] = labels.dims;
    const bytes = seg.byteArray.subarray(seg.elements.x7fe00010.dataOffset);
    frames.forEach((f, idx) => {
      const segment = Math.floor(idx / nz) + 1, k = idx % nz;
      assert.equal(nested(f, "x0062000a").uint16("x0062000b"), segment);
      const src = nested(f, "x00089124", "x00082112");
      assert.equal(src.string("x00081155"), sources[k].string("x00080018"), `frame ${idx} source`);
      const ipp = [0, 1, 2].map((a) => nested(f, "x00209113").floatString("x00200032", a)!);
      const want = [0, 1, 2].map((a) => sources[k].floatString("x00200032", a)!);
      ipp.forEach((v, a) => assert.ok(Math.abs(v - want[a]) < 1e-4, `frame ${idx} position ${ipp} vs ${want}`));
      for (let p = 0; p < nx * ny; p++) {
        const bit = idx * nx * ny + p;
        const set = (bytes[bit >> 3] >> (bit & 7)) & 1;
        assert.equal(set, labels.data[k * nx * ny + p] === segment ? 1 : 0, `frame ${idx} pixel ${p}`);
      }
    });
    const shared = nested(seg, "x52009229", "x00209116");
    const iop = [0, 1, 2, 3, 4, 5].map((a) => shared.floatString("x00200037", a)!);
    const srcIop = [0, 1, 2, 3, 4, 5].map((a) => sources[0].floatString("x00200037", a)!);
    iop.forEach((v, a) => assert.ok(Math.abs(v - srcIop[a]) < 1e-6));
  });
});

test("dicom SEG from labels without a DICOM source has geometry but no references", () => {
  withTmp((dir) => {
    const labels: LabelVolume = { data: new Uint8Array(4 * 3 * 2).fill(1), dims: [4, 3, 2], spacing: [1, 2, 3], affine: diagonalAffine([1, 2, 3]), meta: {} };
    const out = join(dir, "seg.dcm");
    writeDicomSeg(out, labels, undefined, ["background", "LV"]);
    const seg = parse(out);
    assert.equal(seg.elements.x00081115, undefined);
    assert.equal(seg.intString("x00280008"), 2);
    assert.deepEqual([0, 1].map((i) => nested(seg, "x52009229", "x00289110").floatString("x00280030", i)), [2, 1]);
  });
});

test("dicom SEG refuses labels with values that have no class name", () => {
  const { labels } = phaseLabels();
  assert.throws(() => writeDicomSeg(join(tmpdir(), "never-written.dcm"), labels, undefined, ["background", "RV"]), IoError);
});
