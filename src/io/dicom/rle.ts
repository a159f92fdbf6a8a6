// rle.ts owns decoding one DICOM RLE Lossless frame (PS3.5 Annex G). Written by hand because no
// maintained npm package decodes DICOM RLE on its own: Cornerstone keeps its decoder inside the
// browser-only dicom-image-loader bundle. The format is tiny (a 64-byte segment table followed
// by PackBits segments), and every offset and run is bounds-checked here.
import { IoError } from "../errors.js";
import type { FrameSpec } from "./codecs.js";

const HEADER_BYTES = 64;

/** Returns the frame as interleaved little-endian samples (the native layout with PlanarConfiguration 0). */
export function decodeRleFrame(encoded: Uint8Array, spec: FrameSpec, file: string): Uint8Array {
  const bytesPerSample = spec.bitsAllocated / 8;
  const segments = spec.samplesPerPixel * bytesPerSample;
  if (encoded.length < HEADER_BYTES) throw new IoError(file, `RLE frame of ${encoded.length} bytes is shorter than its 64-byte header`);
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const count = view.getUint32(0, true);
  if (count !== segments) throw new IoError(file, `RLE frame has ${count} segments, expected ${segments}`);
  const pixels = spec.rows * spec.cols;
  const out = new Uint8Array(pixels * segments);
  for (let s = 0; s < count; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < count ? view.getUint32(8 + 4 * s, true) : encoded.length;
    if (start < HEADER_BYTES || end > encoded.length || end < start) throw new IoError(file, `RLE segment ${s} offsets ${start}..${end} outside the ${encoded.length}-byte frame`);
    // Segments hold the most significant byte first; our output is little endian, interleaved.
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    unpackBits(encoded.subarray(start, end), out, sample * bytesPerSample + byteInSample, segments, pixels, file, s);
  }
  return out;
}

/** PackBits into every `stride`-th byte of `out` from `offset`; exactly `count` bytes expected. */
function unpackBits(src: Uint8Array, out: Uint8Array, offset: number, stride: number, count: number, file: string, segment: number): void {
  let i = 0;
  let n = 0;
  const put = (b: number): void => {
    if (n < count) out[offset + n * stride] = b;
    n++;
  };
  while (i < src.length && n < count) {
    const header = src[i++];
    if (header < 128) {
      const len = header + 1;
      if (i + len > src.length) throw new IoError(file, `RLE segment ${segment} literal run past the end of the segment`);
      for (let k = 0; k < len; k++) put(src[i + k]);
      i += len;
    } else if (header > 128) {
      if (i >= src.length) throw new IoError(file, `RLE segment ${segment} repeat run past the end of the segment`);
      const value = src[i++];
      for (let k = 0; k < 257 - header; k++) put(value);
    }
  }
  if (n < count) throw new IoError(file, `RLE segment ${segment} decoded to ${n} bytes, expected ${count}`);
}
