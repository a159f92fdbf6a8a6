// codestream.ts owns reading the image size a JPEG / JPEG-LS / JPEG 2000 codestream declares,
// so that a frame whose codestream disagrees with the DICOM header is refused before a decoder
// allocates whatever a corrupt codestream asks for.
import { IoError } from "../errors.js";
import type { FrameSpec } from "./codecs.js";

/** SOF markers: baseline, extended, progressive, lossless, JPEG-LS. */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xf7]);

export function checkCodestreamSize(encoded: Uint8Array, spec: FrameSpec, file: string): void {
  const size = encoded[0] === 0xff && encoded[1] === 0x4f ? j2kSize(encoded) : encoded[0] === 0xff && encoded[1] === 0xd8 ? jpegSize(encoded) : undefined;
  if (!size) return; // JP2-wrapped or unrecognised: the decoder's own frame info is checked afterwards
  const [w, h] = size;
  if (w !== spec.cols || (h !== 0 && h !== spec.rows)) {
    throw new IoError(file, `compressed frame declares ${w}x${h}, the DICOM header ${spec.cols}x${spec.rows}`);
  }
}

function u16(b: Uint8Array, at: number): number {
  return at + 1 < b.length ? (b[at] << 8) | b[at + 1] : -1;
}

function u32(b: Uint8Array, at: number): number {
  return at + 3 < b.length ? ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) : -1;
}

function jpegSize(b: Uint8Array): [number, number] | undefined {
  let at = 2;
  while (at + 3 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const len = u16(b, at + 2);
    if (SOF.has(marker)) return at + 8 < b.length ? [u16(b, at + 7), u16(b, at + 5)] : undefined;
    if (marker === 0xda || len < 2) return undefined;
    at += 2 + len;
  }
  return undefined;
}

function j2kSize(b: Uint8Array): [number, number] | undefined {
  // SOC (FF4F) then SIZ (FF51): Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz.
  if (u16(b, 2) !== 0xff51) return undefined;
  const [x, y, xo, yo] = [u32(b, 8), u32(b, 12), u32(b, 16), u32(b, 20)];
  if (yo < 0) return undefined;
  return [x - xo, y - yo];
}
