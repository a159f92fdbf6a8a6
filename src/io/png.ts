// png.ts — PNG slices through pngjs: grey, RGB, palette and 16-bit PNGs read as a one-slice
// ImageVolume; label masks written as 8-bit grey; RGB pictures (overlays) written as they are.
import pngjs from "pngjs";
import { writeFileAtomic } from "../util/fs.js";
import { IoError, readInputFile, withFile } from "./errors.js";
import { MAX_DEFLATE_RATIO } from "./gzip.js";
import { checkedImage, diagonalAffine, type ImageVolume, type LabelVolume } from "./image.js";

const { PNG } = pngjs;
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A picture to save: `rgba` holds width*height*4 bytes, rows top to bottom. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

export interface PngReadOptions {
  /** Pixel size in mm (x, y); PNGs carry no geometry, so the default is 1 x 1. */
  spacing?: readonly number[];
}

export function readPng(path: string, options: PngReadOptions = {}): ImageVolume {
  return decodePng(readInputFile(path), path, options);
}

/** Decodes PNG bytes; colour images become grey (equal channels are kept exactly). */
export function decodePng(bytes: Buffer, file: string, options: PngReadOptions = {}): ImageVolume {
  checkHeader(bytes, file);
  const png = withFile(file, "bad PNG", () => PNG.sync.read(bytes, { skipRescale: true }));
  const { width, height } = png;
  const data = toGrey(png.data as Uint8Array | Uint16Array, width * height, png.depth === 16);
  const sx = options.spacing?.[0] ?? 1, sy = options.spacing?.[1] ?? sx;
  return checkedImage({
    data,
    dims: [width, height, 1],
    spacing: [sx, sy, 1],
    affine: diagonalAffine([sx, sy, 1]),
    meta: { file, format: "png", bitDepth: png.depth, color: png.color ? "rgb" : "grey" },
  }, file);
}

/** The IHDR size is checked against what the compressed data could hold before pngjs allocates. */
function checkHeader(bytes: Buffer, file: string): void {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new IoError(file, "not a PNG file (bad signature)");
  if (bytes.toString("latin1", 12, 16) !== "IHDR") throw new IoError(file, "PNG without IHDR chunk");
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  if (width === 0 || height === 0) throw new IoError(file, `PNG of ${width}x${height} pixels`);
  const rawBytes = width * height * 8; // RGBA 16-bit: the largest a pixel can be
  if (width * height > 2 ** 28 || rawBytes > bytes.length * MAX_DEFLATE_RATIO * 8) {
    throw new IoError(file, `PNG header claims ${width}x${height} pixels, more than ${bytes.length} bytes can hold`);
  }
}

function toGrey(rgba: Uint8Array | Uint16Array, n: number, sixteen: boolean): Uint8Array | Uint16Array | Float32Array {
  let equal = true;
  for (let p = 0; p < n && equal; p++) equal = rgba[4 * p] === rgba[4 * p + 1] && rgba[4 * p] === rgba[4 * p + 2];
  if (equal) {
    const out = sixteen ? new Uint16Array(n) : new Uint8Array(n);
    for (let p = 0; p < n; p++) out[p] = rgba[4 * p];
    return out;
  }
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = 0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2];
  return out;
}

/** One slice of a label map as an 8-bit grey PNG holding the class numbers (0..255). */
export function encodePngMask(labels: Uint8Array, width: number, height: number): Buffer {
  if (labels.length !== width * height) throw new Error(`mask has ${labels.length} pixels, ${width}x${height} needed`);
  return PNG.sync.write(pngOf(width, height, labels), { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Writes slice `k` of a label map (default: the only slice) as a PNG mask. */
export function writePngMask(path: string, labels: LabelVolume, k = 0): void {
  const [nx, ny] = labels.dims;
  writeFileAtomic(path, encodePngMask(labels.data.subarray(k * nx * ny, (k + 1) * nx * ny), nx, ny));
}

export function encodePngRgba(img: RgbaImage): Buffer {
  if (img.rgba.length !== img.width * img.height * 4) throw new Error(`picture has ${img.rgba.length} bytes, ${img.width}x${img.height}x4 needed`);
  return PNG.sync.write(pngOf(img.width, img.height, img.rgba), { colorType: 2 });
}

function pngOf(width: number, height: number, pixels: Uint8Array): InstanceType<typeof PNG> {
  const png = new PNG({ width: 1, height: 1 }); // pixels are supplied below, no need for pngjs' buffer
  png.width = width;
  png.height = height;
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length);
  return png;
}

export function writePngRgba(path: string, img: RgbaImage): void {
  writeFileAtomic(path, encodePngRgba(img));
}
