// codecs.ts owns decoding one compressed frame: the Cornerstone WebAssembly builds of
// libjpeg-turbo (JPEG baseline / 8-bit extended), CharLS (JPEG-LS) and OpenJPEG (JPEG 2000),
// jpeg-lossless-decoder-js (JPEG lossless, process 14) and our RLE decoder (rle.ts).
// The wasm modules are instantiated once at import (top-level await) so that every reader can
// stay synchronous; a module that fails to load only makes its syntaxes refuse with a clear error.
import { createRequire } from "node:module";
import { Decoder as LosslessDecoder } from "jpeg-lossless-decoder-js";
import { IoError } from "../errors.js";
import { checkCodestreamSize } from "./codestream.js";
import { decodeRleFrame } from "./rle.js";

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): FrameInfo;
  delete(): void;
}

type WasmModule = Record<string, new () => WasmDecoder>;
type Factory = (options: { print: (s: string) => void; printErr: (s: string) => void }) => Promise<WasmModule>;

interface LoadedCodec {
  readonly module?: WasmModule;
  readonly className: string;
  readonly loadError?: string;
  lastMessage: string;
}

const require = createRequire(import.meta.url);

async function loadCodec(pkg: string, className: string): Promise<LoadedCodec> {
  const codec: LoadedCodec = { className, lastMessage: "" };
  try {
    const factory = require(`${pkg}/decodewasmjs`) as Factory;
    // OpenJPEG prints [INFO]/[ERROR] lines; keep the last error for our message instead.
    const module = await factory({ print: () => undefined, printErr: (s) => (codec.lastMessage = s) });
    return { ...codec, module, lastMessage: "" };
  } catch (err) {
    return { ...codec, loadError: `${pkg} failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const [jpegTurbo, charls, openjpeg] = await Promise.all([
  loadCodec("@cornerstonejs/codec-libjpeg-turbo-8bit", "JPEGDecoder"),
  loadCodec("@cornerstonejs/codec-charls", "JpegLSDecoder"),
  loadCodec("@cornerstonejs/codec-openjpeg", "J2KDecoder"),
]);

/** The description of a frame the caller expects, used to check what a codec returns. */
export interface FrameSpec {
  readonly rows: number;
  readonly cols: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
}

type FrameDecoder = (encoded: Uint8Array, spec: FrameSpec, file: string) => Uint8Array;

const DECODERS: Record<string, { name: string; decode: FrameDecoder }> = {
  "1.2.840.10008.1.2.4.50": { name: "JPEG baseline", decode: (e, s, f) => decodeLossyJpeg("1.2.840.10008.1.2.4.50", e, s, f) },
  "1.2.840.10008.1.2.4.51": { name: "JPEG extended", decode: (e, s, f) => decodeLossyJpeg("1.2.840.10008.1.2.4.51", e, s, f) },
  "1.2.840.10008.1.2.4.57": { name: "JPEG lossless", decode: (e, s, f) => decodeLossless(e, s, f) },
  "1.2.840.10008.1.2.4.70": { name: "JPEG lossless SV1", decode: (e, s, f) => decodeLossless(e, s, f) },
  "1.2.840.10008.1.2.4.80": { name: "JPEG-LS lossless", decode: (e, s, f) => decodeWasm(charls, e, s, f) },
  "1.2.840.10008.1.2.4.81": { name: "JPEG-LS near-lossless", decode: (e, s, f) => decodeWasm(charls, e, s, f) },
  "1.2.840.10008.1.2.4.90": { name: "JPEG 2000 lossless", decode: (e, s, f) => decodeWasm(openjpeg, e, s, f) },
  "1.2.840.10008.1.2.4.91": { name: "JPEG 2000", decode: (e, s, f) => decodeWasm(openjpeg, e, s, f) },
  "1.2.840.10008.1.2.5": { name: "RLE lossless", decode: (e, s, f) => decodeRleFrame(e, s, f) },
};

export function isCompressedSyntaxSupported(uid: string): boolean {
  return uid in DECODERS;
}

/** Decodes one encapsulated frame to little-endian samples laid out as native pixel data (interleaved). */
export function decodeFrame(uid: string, encoded: Uint8Array, spec: FrameSpec, file: string): Uint8Array {
  const entry = DECODERS[uid];
  if (!entry) throw new IoError(file, `unsupported transfer syntax ${uid} in ${file}`);
  if (uid !== "1.2.840.10008.1.2.5") checkCodestreamSize(encoded, spec, file);
  const out = entry.decode(encoded, spec, file);
  const expected = spec.rows * spec.cols * spec.samplesPerPixel * (spec.bitsAllocated / 8);
  if (out.length !== expected) {
    throw new IoError(file, `${entry.name} frame decoded to ${out.length} bytes, expected ${expected} (${spec.cols}x${spec.rows}x${spec.samplesPerPixel}, ${spec.bitsAllocated} bits)`);
  }
  return out;
}

function decodeLossyJpeg(uid: string, encoded: Uint8Array, spec: FrameSpec, file: string): Uint8Array {
  // libjpeg-turbo's wasm build is 8-bit only; no maintained Node decoder handles 12-bit lossy JPEG.
  if (spec.bitsAllocated !== 8) {
    throw new IoError(file, `unsupported transfer syntax ${uid} in ${file}: 12-bit lossy JPEG (BitsAllocated ${spec.bitsAllocated}) has no decoder here`);
  }
  return decodeWasm(jpegTurbo, encoded, spec, file);
}

function decodeWasm(codec: LoadedCodec, encoded: Uint8Array, spec: FrameSpec, file: string): Uint8Array {
  if (!codec.module) throw new IoError(file, codec.loadError ?? "codec not loaded");
  const decoder = new codec.module[codec.className]();
  codec.lastMessage = "";
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== spec.cols || info.height !== spec.rows || info.componentCount !== spec.samplesPerPixel) {
      const why = codec.lastMessage ? ` (${codec.lastMessage.trim()})` : "";
      throw new IoError(file, `compressed frame is ${info.width}x${info.height}x${info.componentCount}, header says ${spec.cols}x${spec.rows}x${spec.samplesPerPixel}${why}`);
    }
    return decoder.getDecodedBuffer().slice();
  } catch (err) {
    if (err instanceof IoError) throw err;
    // Emscripten throws a bare pointer (a number) for C++ exceptions.
    const why = err instanceof Error ? err.message : codec.lastMessage || `decoder exception ${String(err)}`;
    throw new IoError(file, `corrupt compressed frame (${codec.className}: ${why})`, { cause: err });
  } finally {
    decoder.delete();
  }
}

function decodeLossless(encoded: Uint8Array, spec: FrameSpec, file: string): Uint8Array {
  try {
    const copy = new Uint8Array(encoded); // a copy with its own buffer (Buffer.slice would share one)
    const out = new LosslessDecoder().decode(copy.buffer, 0, copy.length, spec.bitsAllocated / 8);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
  } catch (err) {
    throw new IoError(file, `corrupt JPEG lossless frame (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/** Which compressed syntaxes loaded (for diagnostics and the report). */
export function codecStatus(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [uid, d] of Object.entries(DECODERS)) out[uid] = d.name;
  return out;
}
