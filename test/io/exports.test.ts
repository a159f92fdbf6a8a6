// Label exports: NIfTI, one PNG mask per slice, overlay mosaic, contour files that rasterise back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { exportContours, exportLabelNifti, exportOverlay, exportPngMasks } from "../../src/io/exports.js";
import { rasterizePolygon, readContourFile } from "../../src/io/contours.js";
import { readNifti } from "../../src/io/nifti/index.js";
import { readPng } from "../../src/io/png.js";
import { affineFrom, labelLike, type ImageVolume } from "../../src/io/image.js";
import { tempDir } from "./helpers.js";

/** Two 12x10 slices: a ring of myocardium (2) around an LV disc (3), and an empty slice. */
function fixture(): { image: ImageVolume; labels: ReturnType<typeof labelLike> } {
  const [nx, ny, nz] = [12, 10, 2];
  const image: ImageVolume = {
    data: Float32Array.from({ length: nx * ny * nz }, (_, i) => (i * 7) % 50),
    dims: [nx, ny, nz], spacing: [1.25, 1.25, 8],
    affine: affineFrom([1.25, 1.25, 8], [10, -20, 5], [0, 1, 0, -1, 0, 0, 0, 0, 1]), meta: {},
  };
  const lab = new Uint8Array(nx * ny * nz);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const d = Math.hypot(x - 5.5, y - 4.5);
      lab[y * nx + x] = d < 2 ? 3 : d < 3.6 ? 2 : 0;
    }
  }
  return { image, labels: labelLike(image, lab) };
}

test("label NIfTI keeps geometry and classes", () => {
  const { labels } = fixture();
  const path = exportLabelNifti(join(tempDir("exp"), "x_gt.nii.gz"), labels);
  const back = readNifti(path);
  assert.deepEqual([...back.data], [...labels.data]);
  labels.affine.forEach((v, i) => assert.ok(Math.abs(back.affine[i] - v) < 1e-6));
});

test("PNG masks: one per slice with the class numbers", () => {
  const { labels } = fixture();
  const files = exportPngMasks(tempDir("exp"), "case", labels);
  assert.equal(files.length, 2);
  assert.ok(files[1].endsWith("case_slice01.png"));
  assert.deepEqual([...readPng(files[0]).data], [...labels.data.subarray(0, 120)]);
  assert.ok(readPng(files[1]).data.every((v) => v === 0));
});

test("contour files: i-contour rasterises back to the LV, o-contour to LV + myocardium", () => {
  const { labels } = fixture();
  const files = exportContours(tempDir("exp"), "case", labels);
  assert.deepEqual(files.map((f) => f.split("/").pop()), ["case-0000-icontour-manual.txt", "case-0000-ocontour-manual.txt"]);
  const slice = labels.data.subarray(0, 120);
  const inner = rasterizePolygon(readContourFile(files[0]), 12, 10);
  const outer = rasterizePolygon(readContourFile(files[1]), 12, 10);
  assert.deepEqual([...inner], [...slice].map((v) => (v === 3 ? 1 : 0)));
  assert.deepEqual([...outer], [...slice].map((v) => (v >= 2 ? 1 : 0)));
});

test("overlay mosaic covers all slices", () => {
  const { image, labels } = fixture();
  const path = exportOverlay(join(tempDir("exp"), "o.png"), image, labels);
  const pic = readPng(path);
  assert.deepEqual(pic.dims, [12 * 2 + 2, 10, 1]);
});
