// exports.ts — writing a label map out in the formats viewers and pipelines read: label NIfTI,
// PNG masks (one per slice), a PNG overlay mosaic, and Sunnybrook-style contour text files.
// (DICOM SEG lives in dicom/seg.ts.)
import { join } from "node:path";
import { contoursFromMask, writeContourFile } from "./contours.js";
import type { ImageVolume, LabelVolume } from "./image.js";
import { writeNiftiLabels } from "./nifti/write.js";
import { mosaic, percentileWindow, renderOverlay, type OverlayOptions } from "./overlay.js";
import { encodePngMask, writePngRgba, type RgbaImage } from "./png.js";
import { writeFileAtomic } from "../util/fs.js";
import { sliceCount, sliceOf } from "./slices.js";

const LV = 3;
const MYO = 2;

export function exportLabelNifti(path: string, labels: LabelVolume): string {
  writeNiftiLabels(path, labels);
  return path;
}

/** One 8-bit PNG per slice holding class numbers: `<base>.png`, or `<base>_sliceKK.png` for stacks. */
export function exportPngMasks(dir: string, base: string, labels: LabelVolume): string[] {
  const [nx, ny] = labels.dims;
  const n = sliceCount(labels);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const path = join(dir, n === 1 ? `${base}.png` : `${base}_slice${String(k).padStart(2, "0")}.png`);
    writeFileAtomic(path, encodePngMask(sliceOf(labels, k), nx, ny));
    out.push(path);
  }
  return out;
}

/** Every slice (first frame) of `image` with its labels, one grey window for the whole volume. */
export function renderVolumeOverlay(image: ImageVolume, labels?: LabelVolume, options: OverlayOptions = {}): RgbaImage {
  const [nx, ny] = image.dims;
  const n = sliceCount(image);
  const window = options.window ?? percentileWindow(image.data.subarray(0, nx * ny * n));
  const tiles: RgbaImage[] = [];
  for (let k = 0; k < n; k++) tiles.push(renderOverlay(sliceOf(image, k), labels ? sliceOf(labels, k) : undefined, nx, ny, { ...options, window }));
  return tiles.length === 1 ? tiles[0] : mosaic(tiles);
}

export function exportOverlay(path: string, image: ImageVolume, labels?: LabelVolume, options: OverlayOptions = {}): string {
  writePngRgba(path, renderVolumeOverlay(image, labels, options));
  return path;
}

/**
 * Per slice, the LV endocardium (outline of label 3) as `<base>-KK-icontour-manual.txt` and the
 * epicardium (outline of labels 2 and 3 together) as `...-ocontour-manual.txt` when myocardium exists.
 * The longest loop is written (small islands are dropped), as the Sunnybrook format has one per file.
 */
export function exportContours(dir: string, base: string, labels: LabelVolume): string[] {
  const [nx, ny] = labels.dims;
  const out: string[] = [];
  for (let k = 0; k < sliceCount(labels); k++) {
    const s = sliceOf(labels, k);
    const tag = `${base}-${String(k).padStart(4, "0")}`;
    const inner = contoursFromMask(s, nx, ny, (v) => v === LV)[0];
    if (inner) out.push(writeTo(join(dir, `${tag}-icontour-manual.txt`), inner));
    if (s.includes(MYO)) {
      const outer = contoursFromMask(s, nx, ny, (v) => v === MYO || v === LV)[0];
      if (outer) out.push(writeTo(join(dir, `${tag}-ocontour-manual.txt`), outer));
    }
  }
  return out;
}

function writeTo(path: string, points: Parameters<typeof writeContourFile>[1]): string {
  writeContourFile(path, points);
  return path;
}
