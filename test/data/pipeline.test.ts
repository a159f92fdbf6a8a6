// Tests of buildDataPipeline and the folder-level input checks on small ACDC-layout folders
// written on the fly (as the synthetic data set is): split by patient, no data, bad labels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diagonalAffine, type ImageVolume } from "../../src/io/image.js";
import { writeNiftiImage, writeNiftiLabels } from "../../src/io/nifti/index.js";
import { renderToBatch } from "../../src/train/augment.js";
import { buildDataPipeline, type DataConfig } from "../../src/data/pipeline.js";
import { loadDatasetSlices } from "../../src/data/sources.js";

const W = 24, H = 20, Z = 3, SPACING = [1.5, 1.5, 8];

function vol<T extends Float32Array | Uint8Array>(data: T): ImageVolume<T> {
  return { data, dims: [W, H, Z], spacing: SPACING, affine: diagonalAffine(SPACING), meta: {} };
}

function writeAcdc(root: string, patients: number, badLabel?: number): void {
  for (let p = 1; p <= patients; p++) {
    const id = `patient${String(p).padStart(3, "0")}`, dir = join(root, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Info.cfg"), "ED: 1\nES: 5\nGroup: NOR\n");
    for (const f of ["01", "05"]) {
      const img = new Float32Array(W * H * Z), lab = new Uint8Array(W * H * Z);
      for (let i = 0; i < img.length; i++) {
        const x = i % W, y = Math.floor(i / W) % H, r = Math.hypot(x - 12, y - 10);
        lab[i] = r < 3 ? 3 : r < 5 ? 2 : r < 7 && x < 8 ? 1 : 0;
        img[i] = lab[i] * 50 + p + (i % 7);
      }
      if (badLabel !== undefined && p === patients && f === "05") lab[W * H + 3 * W + 2] = badLabel;
      writeNiftiImage(join(dir, `${id}_frame${f}.nii.gz`), vol(img));
      writeNiftiLabels(join(dir, `${id}_frame${f}_gt.nii.gz`), vol(lab));
    }
  }
}

function config(root: string, over: Partial<DataConfig> = {}): DataConfig {
  return { root, task: { name: "regions" }, split: { train: "1-4", val: "5-6" }, size: { width: 32, height: 32 }, batchSize: 2, seed: 1, ...over };
}

test("an ACDC-layout folder becomes a patient split, train store, loader and validation stream", async () => {
  const root = mkdtempSync(join(tmpdir(), "cardioseg-data-"));
  try {
    writeAcdc(root, 6);
    const p = buildDataPipeline(config(root));
    assert.deepEqual(p.split.val, ["patient005", "patient006"]);
    assert.equal(p.trainSlices.length, 4 * 2 * Z);
    assert.equal(p.valSlices.length, 2 * 2 * Z);
    assert.ok(p.valSlices.every((s) => ["patient005", "patient006"].includes(s.provenance.patient)));
    assert.equal(p.valSlices[0].provenance.caseId, "patient005_frame01");
    assert.equal(p.numClasses, 4);
    assert.ok(p.frequencies.counts.every((c) => c > 0));
    const loader = p.createLoader({ worker: false });
    const b = renderToBatch(await loader.next());
    assert.equal(b.images.length, 2 * 32 * 32);
    assert.equal([...p.validation()].length, 12);
    const contour = buildDataPipeline(config(root, { task: { name: "contour", bandWidth: 3 }, validation: { whole: true } }));
    const vb = [...contour.validation()];
    assert.deepEqual([vb[0].width, vb[0].height], [32, 24], "whole slices: 24x20 at 1.5 mm -> 29x24 at 1.25 mm, padded to 32x24");
    assert.ok(vb[0].labels.some((v) => v === 1));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a bad case is reported with the file and the field named and skipped; an unrecognised folder fails", () => {
  const root = mkdtempSync(join(tmpdir(), "cardioseg-data-"));
  try {
    assert.throws(() => loadDatasetSlices(root), /not a recognised data set/);
    writeAcdc(root, 3, 9);
    const p = buildDataPipeline(config(root, { split: { train: "1", val: "2-3" } }));
    assert.equal(p.problems.length, 1);
    assert.match(p.problems[0].message, /patient003_frame05_gt\.nii\.gz: label value 9 at voxel \(2, 3, 1\) is outside the configured classes 0-3/);
    assert.deepEqual(p.split.val, ["patient002", "patient003"]);
    assert.ok(p.valSlices.length > 0 && p.valSlices.every((v) => !v.provenance.labelFile.includes("patient003_frame05")), "the bad frame is left out, the rest kept");
    assert.throws(() => buildDataPipeline(config(root, { split: { train: "1-2", val: "7" } })), /split\.val: "7" matches no patient/);
    const skipped = loadDatasetSlices(root, { skipBadCases: true });
    assert.equal(skipped.problems.length, 1);
    assert.equal(skipped.slices.length, 5 * Z);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
