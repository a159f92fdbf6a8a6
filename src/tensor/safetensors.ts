// safetensors.ts owns reading and writing the safetensors format (Hugging Face's; what Python's
// `safetensors` and PyTorch checkpoints converted with it use): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the raw
// little-endian tensor bytes. Files are written atomically; every header field is validated against
// the file size before anything is allocated, so a truncated or foreign file gives a clear Error.
//
// Integrity: with `checksum: true` the writer stores the SHA-256 of the whole file (computed with
// the digest's own 64 characters set to "0") in __metadata__ under CHECKSUM_KEY. Every reader
// verifies it whenever present, so a flipped byte anywhere — header, data or the digest — is
// refused with the file named. Other safetensors readers just see one more metadata string.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { endianness } from "node:os";
import { writeFileAtomic } from "../util/fs.js";
import { fromBytes } from "./creation.js";
import type { DType, DeviceLike } from "./dtype.js";
import type { Tensor } from "./tensor.js";

export type SafetensorsDType = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export interface SafetensorsContent {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

interface EntryHeader { dtype: SafetensorsDType; shape: number[]; data_offsets: [number, number] }

const TO_FILE: Record<DType, SafetensorsDType> = {
  float32: "F32", float16: "F16", bfloat16: "BF16", float64: "F64",
  int64: "I64", int32: "I32", int16: "I16", int8: "I8", uint8: "U8", bool: "BOOL",
};
const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};
// The reference implementation refuses larger headers; so do we, before parsing anything.
const MAX_HEADER_BYTES = 100_000_000;
/** Metadata key of the file's SHA-256 (hex), see the header comment. */
export const CHECKSUM_KEY = "cardioseg.sha256";
const DIGEST_PLACEHOLDER = "0".repeat(64);

function checkHostEndianness(): void {
  if (endianness() !== "LE") throw new Error("safetensors: big-endian hosts are not supported");
}

// ---------------------------------------------------------------- writing

export interface EncodeOptions {
  /** Store the file's SHA-256 in the metadata (verified by every load). */
  checksum?: boolean;
}

/** Save tensors (and optional string metadata) to `path` atomically; returns the stored SHA-256 or null. */
export function saveSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>, options: EncodeOptions = {}): string | null {
  const bytes = encodeSafetensors(tensors, metadata, options);
  writeFileAtomic(path, bytes);
  return options.checksum ? storedDigest(bytes) : null;
}

/** The bytes of a safetensors file holding `tensors` in the given order. */
export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>, options: EncodeOptions = {}): Uint8Array {
  checkHostEndianness();
  if (options.checksum) metadata = { ...metadata, [CHECKSUM_KEY]: DIGEST_PLACEHOLDER };
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`safetensors: metadata value for "${k}" must be a string`);
    }
    header["__metadata__"] = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new Error("safetensors: \"__metadata__\" cannot be used as a tensor name");
    const bytes = tensorBytes(t);
    header[name] = { dtype: TO_FILE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces (allowed by the format) so the data section starts 8-byte aligned.
  const jsonBytes = Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.allocUnsafe(8 + headerBytes.byteLength + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.byteLength), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  if (options.checksum) {
    const at = digestOffset(out, 8 + headerBytes.byteLength);
    out.write(fileDigest(out, at), at, "latin1");
  }
  return out;
}

/** Where the 64 hex characters of the checksum start, or -1 when the header has none. */
function digestOffset(bytes: Uint8Array, headerEnd: number): number {
  const needle = Buffer.from(`"${CHECKSUM_KEY}":"`, "latin1");
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, headerEnd);
  const at = header.lastIndexOf(needle);
  return at < 0 || at + needle.length + 64 > headerEnd ? -1 : at + needle.length;
}

/** SHA-256 of the file with the 64 digest characters at `at` read as "0". */
function fileDigest(bytes: Uint8Array, at: number): string {
  const hash = createHash("sha256");
  hash.update(bytes.subarray(0, at));
  hash.update(DIGEST_PLACEHOLDER, "latin1");
  hash.update(bytes.subarray(at + 64));
  return hash.digest("hex");
}

function storedDigest(bytes: Uint8Array): string {
  const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const at = digestOffset(bytes, headerEnd);
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, 64).toString("latin1");
}

/**
 * After parseHeader (which hashes the file against the digest it finds in the header), checks that
 * the digest is the one the metadata names; returns it, or null for files written without one.
 */
export function verifySafetensorsChecksum(bytes: Uint8Array, source: string, metadata: Record<string, string>, dataStart: number): string | null {
  const stored = metadata[CHECKSUM_KEY];
  if (stored === undefined) return null;
  const at = digestOffset(bytes, dataStart);
  if (!/^[0-9a-f]{64}$/.test(stored) || at < 0 || Buffer.from(bytes.buffer, bytes.byteOffset + at, 64).toString("latin1") !== stored) {
    throw new Error(`safetensors: ${source}: checksum field is damaged (the file is corrupt)`);
  }
  return stored; // parseHeader has already compared it with the file's digest
}

/** Reads `path` whole and verifies it; returns its stored checksum (null when it has none). */
export function checkSafetensorsFile(path: string): string | null {
  const bytes = readSafetensorsBytes(path);
  const { metadata, dataStart } = parseHeader(bytes, path);
  return verifySafetensorsChecksum(bytes, path, metadata, dataStart);
}

function tensorBytes(t: Tensor): Uint8Array {
  // Raw little-endian element bytes of a contiguous CPU copy: exactly safetensors' data layout.
  return t.toBytes();
}

// ---------------------------------------------------------------- reading

/** Load every tensor (on the CPU, or moved to `device`) and the metadata from `path`. */
export function loadSafetensors(path: string, options: { device?: DeviceLike } = {}): SafetensorsContent {
  return decodeSafetensors(readSafetensorsBytes(path), path, options);
}

function readSafetensorsBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`safetensors: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Parse safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = "<buffer>", options: { device?: DeviceLike } = {}): SafetensorsContent {
  checkHostEndianness();
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  verifySafetensorsChecksum(bytes, source, metadata, dataStart);
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, e] of entries) {
      const [start, end] = e.data_offsets;
      // fromBytes copies, so the tensors do not keep the file's buffer alive.
      const raw = bytes.subarray(dataStart + start, dataStart + end);
      tensors.set(name, fromBytes(raw, FROM_FILE[e.dtype], e.shape, { device: options.device }));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw new Error(`safetensors: ${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { tensors, metadata };
}

/** Read only the header: names, dtypes, shapes and metadata, without loading any tensor. */
export function readSafetensorsHeader(path: string): { entries: Map<string, { dtype: SafetensorsDType; shape: number[] }>; metadata: Record<string, string> } {
  const { entries, metadata } = parseHeader(readFileSync(path), path);
  return { entries: new Map([...entries].map(([k, e]) => [k, { dtype: e.dtype, shape: e.shape }])), metadata };
}

function parseHeader(bytes: Uint8Array, source: string): { entries: Map<string, EntryHeader>; metadata: Record<string, string>; dataStart: number } {
  const fail = (what: string): never => {
    throw new Error(`safetensors: ${source}: ${what}`);
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.byteLength - 8)) {
    fail(`header length ${headerLen} exceeds the file size (${bytes.byteLength} bytes): truncated or not a safetensors file`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} is larger than the 100 MB limit`);
  const n = Number(headerLen);
  // The checksum first: a damaged header is then reported as what it is, not as a bad field.
  const at = digestOffset(bytes, 8 + n);
  const stored = at < 0 ? "" : Buffer.from(bytes.buffer, bytes.byteOffset + at, 64).toString("latin1");
  if (/^[0-9a-f]{64}$/.test(stored) && fileDigest(bytes, at) !== stored) fail("checksum mismatch: the file is corrupt (a changed or damaged byte)");
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString("utf8"));
  } catch {
    fail("header is not valid JSON (not a safetensors file?)");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const entries = new Map<string, EntryHeader>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") metadata = parseMetadata(raw, fail);
    else entries.set(name, parseEntry(name, raw, dataLen, fail));
  }
  checkNoOverlap(entries, fail);
  return { entries, metadata, dataStart };
}

function parseMetadata(raw: unknown, fail: (what: string) => never): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("__metadata__ is not an object");
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== "string") fail(`__metadata__ value for "${k}" is not a string`);
  }
  return raw as Record<string, string>;
}

function parseEntry(name: string, raw: unknown, dataLen: number, fail: (what: string) => never): EntryHeader {
  if (typeof raw !== "object" || raw === null) fail(`entry "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in ITEM_SIZE)) {
    fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM_SIZE).join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    || offsets[0] > offsets[1]) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [start, end] = offsets as [number, number];
  if (end > dataLen) fail(`tensor "${name}" data [${start}, ${end}) runs past the end of the data (${dataLen} bytes): file truncated?`);
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = numel * ITEM_SIZE[dtype as SafetensorsDType];
  if (end - start !== expected) {
    fail(`tensor "${name}" (${dtype}, shape [${(shape as number[]).join(", ")}]) needs ${expected} bytes but its offsets span ${end - start}`);
  }
  return { dtype: dtype as SafetensorsDType, shape: shape as number[], data_offsets: [start, end] };
}

function checkNoOverlap(entries: Map<string, EntryHeader>, fail: (what: string) => never): void {
  const spans = [...entries].filter(([, e]) => e.data_offsets[1] > e.data_offsets[0])
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][1].data_offsets[0] < spans[i - 1][1].data_offsets[1]) {
      fail(`tensors "${spans[i - 1][0]}" and "${spans[i][0]}" overlap in the data section`);
    }
  }
}

const FROM_FILE: Record<SafetensorsDType, DType> = Object.fromEntries(
  Object.entries(TO_FILE).map(([dtype, code]) => [code, dtype]),
) as Record<SafetensorsDType, DType>;
