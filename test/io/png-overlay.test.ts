// PNG reading/writing through pngjs and the overlay renderer, against hand-computed pixels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import pngjs from "pngjs";
import { decodePng, encodePngMask, encodePngRgba, readPng, writePngMask } from "../../src/io/png.js";
import { LABEL_COLOURS, mosaic, percentileWindow, renderGrey, renderOverlay } from "../../src/io/overlay.js";
import { IoError } from "../../src/io/errors.js";
import { labelLike } from "../../src/io/image.js";
import { tempDir } from "./helpers.js";

const { PNG } = pngjs;

function pngFrom(width: number, height: number, data: Buffer, colorType: 0 | 2 | 6, bitDepth: 8 | 16 = 8): Buffer {
  const png = new PNG({ width, height });
  png.data = data;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: colorType === 6, bitDepth });
}

test("grey 8-bit PNG reads as a one-slice volume, NIfTI order, spacing as given", () => {
  const bytes = pngFrom(3, 2, Buffer.from([0, 10, 20, 30, 40, 250]), 0);
  const v = decodePng(bytes, "g.png", { spacing: [0.7, 0.8] });
  assert.deepEqual(v.dims, [3, 2, 1]);
  assert.ok(v.data instanceof Uint8Array);
  assert.deepEqual([...v.data], [0, 10, 20, 30, 40, 250]);
  assert.deepEqual(v.spacing, [0.7, 0.8, 1]);
  assert.equal(v.affine[0], 0.7);
  assert.equal(v.affine[5], 0.8);
});

test("16-bit grey keeps full precision; colour becomes luminance", () => {
  const g16 = new Uint16Array([0, 1000, 65535, 12345]);
  const v16 = decodePng(pngFrom(2, 2, Buffer.from(g16.buffer), 0, 16), "g16.png");
  assert.ok(v16.data instanceof Uint16Array);
  assert.deepEqual([...v16.data], [0, 1000, 65535, 12345]);
  const rgb = decodePng(pngFrom(2, 1, Buffer.from([255, 0, 0, 7, 7, 7]), 2), "c.png");
  assert.ok(Math.abs(rgb.data[0] - 0.299 * 255) < 1e-3);
  assert.ok(Math.abs(rgb.data[1] - 7) < 1e-3);
});

test("PNG masks hold class numbers and round-trip", () => {
  const dir = tempDir("png");
  const img = { data: new Float32Array(12), dims: [4, 3, 1], spacing: [1, 1, 1], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], meta: {} };
  const labels = labelLike(img, Uint8Array.from([0, 1, 2, 3, 0, 0, 3, 3, 2, 1, 0, 0]));
  writePngMask(join(dir, "m.png"), labels);
  assert.deepEqual([...readPng(join(dir, "m.png")).data], [...labels.data]);
  assert.equal(PNG.sync.read(encodePngMask(labels.data, 4, 3)).color, false);
});

test("bad PNGs are IoErrors; an IHDR claiming a huge image is refused before decoding", () => {
  const dir = tempDir("png");
  writeFileSync(join(dir, "x.png"), "not a png at all, just text that is long enough");
  assert.throws(() => readPng(join(dir, "x.png")), (e: unknown) => e instanceof IoError && /x\.png: not a PNG/.test(e.message));
  const good = pngFrom(2, 2, Buffer.from([1, 2, 3, 4]), 0);
  const huge = Buffer.from(good);
  huge.writeUInt32BE(60000, 16);
  huge.writeUInt32BE(60000, 20);
  assert.throws(() => decodePng(huge, "huge.png"), (e: unknown) => e instanceof IoError && /claims 60000x60000/.test(e.message));
  assert.throws(() => decodePng(good.subarray(0, 40), "cut.png"), IoError);
  assert.throws(() => readPng(join(dir, "missing.png")), IoError);
});

test("percentiles and grey window: 1st-99th percentile maps to 0-255", () => {
  const values = Float32Array.from({ length: 101 }, (_, i) => i); // 0..100
  const [lo, hi] = percentileWindow(values, 1, 99);
  assert.equal(lo, 1);
  assert.equal(hi, 99);
  const pic = renderGrey(values, 101, 1); // window [1, 99]
  const g = (i: number): number => pic.rgba[4 * i];
  assert.deepEqual([g(0), g(1), g(99), g(100)], [0, 0, 255, 255]);
  assert.ok(Math.abs(g(50) - (49 * 255) / 98) <= 0.5);
  assert.equal(pic.rgba[4 * 50 + 3], 255);
});

test("overlay blends label colours and draws opaque outlines", () => {
  // 5x5 image of constant grey 100 in window [0, 255]; a 3x3 LV block in the middle.
  const image = new Float32Array(25).fill(100);
  const labels = new Uint8Array(25);
  for (let r = 1; r <= 3; r++) for (let c = 1; c <= 3; c++) labels[r * 5 + c] = 3;
  const pic = renderOverlay(image, labels, 5, 5, { window: [0, 255], alpha: 0.5 });
  const px = (x: number, y: number): number[] => [...pic.rgba.subarray(4 * (y * 5 + x), 4 * (y * 5 + x) + 4)];
  const grey = 100;
  assert.deepEqual(px(0, 0), [grey, grey, grey, 255]); // unlabelled
  assert.deepEqual(px(1, 1), [...LABEL_COLOURS[3], 255]); // outline: opaque red
  const red = LABEL_COLOURS[3];
  assert.deepEqual(px(2, 2), [...red.map((c) => Math.round(grey * 0.5 + c * 0.5)), 255]); // interior: blend
  const rv = renderOverlay(image, Uint8Array.from({ length: 25 }, () => 1), 5, 5, { window: [0, 255], outlines: false, alpha: 1 });
  assert.deepEqual([...rv.rgba.subarray(48, 52)], [...LABEL_COLOURS[1], 255]); // RV blue
  assert.ok(encodePngRgba(pic).length > 0);
});

test("mosaic tiles pictures row by row with a gap", () => {
  const tile = (v: number) => ({ width: 2, height: 2, rgba: new Uint8Array(16).fill(v) });
  const m = mosaic([tile(10), tile(20), tile(30)], 2, 1);
  assert.equal(m.width, 5);
  assert.equal(m.height, 5);
  assert.equal(m.rgba[0], 10);
  assert.equal(m.rgba[4 * 3], 20); // x=3 is the second tile
  assert.equal(m.rgba[4 * (3 * 5)], 30); // y=3 is the second row
  assert.deepEqual([...m.rgba.subarray(8, 12)], [0, 0, 0, 255]); // gap
});
