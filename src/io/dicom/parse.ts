// parse.ts owns turning the bytes of one file into a dicom-parser DataSet: Part 10 files and
// bare data sets (no preamble/meta; their syntax is sniffed from the first element), a bounded
// inflater for the deflated syntax, and rewrapping dicom-parser's thrown strings as IoErrors.
import dicomParser from "dicom-parser";
import type { DataSet } from "dicom-parser";
import { constants, inflateRawSync } from "node:zlib";
import { Inflate } from "fflate";
import { IoError } from "../errors.js";

export const TS = {
  implicitLE: "1.2.840.10008.1.2",
  explicitLE: "1.2.840.10008.1.2.1",
  deflatedLE: "1.2.840.10008.1.2.1.99",
  explicitBE: "1.2.840.10008.1.2.2",
} as const;

/** Inflated bytes allowed before the pixel data element (the header part of a deflated data set). */
const MAX_DEFLATED_HEADER_BYTES = 16 << 20;
/** Inflated bytes allowed after the pixel data the header describes (trailing padding, signatures). */
const TRAILING_SLACK_BYTES = 1 << 16;

export interface ParsedDicom {
  readonly file: string;
  readonly dataSet: DataSet;
  readonly transferSyntax: string;
  readonly hasMeta: boolean;
}

/** Parses one DICOM file's bytes; `untilPixels` stops before (7FE0,0010) for header scans. */
export function parseDicomBytes(bytes: Uint8Array, file: string, untilPixels = false): ParsedDicom {
  const hasMeta = bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  const sniffed = hasMeta ? undefined : sniffBareSyntax(bytes, file);
  if (hasMeta) checkMetaHasSyntax(bytes, file);
  const dataSet = callParser(file, () =>
    dicomParser.parseDicom(bytes, {
      TransferSyntaxUID: sniffed,
      untilTag: untilPixels ? "x7fe00010" : undefined,
      inflater: (arr: Uint8Array, position: number) => inflateBounded(arr, position, file),
    } as dicomParser.ParseDicomOptions),
  );
  const transferSyntax = sniffed ?? dataSet.string("x00020010") ?? "";
  return { file, dataSet, transferSyntax: transferSyntax.replace(/\0/g, "").trim(), hasMeta };
}

/** dicom-parser throws strings and half-parsed objects; make them errors that name the file. */
function callParser<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IoError) throw err;
    const raw = err instanceof Error ? err.message : typeof err === "string" ? err : describeThrown(err);
    throw new IoError(file, `not a readable DICOM file (${raw.replace(/^dicomParser\.\w+: /, "")})`, { cause: err });
  }
}

function describeThrown(err: unknown): string {
  // parseDicom throws {exception, dataSet} when the data set ends early.
  const e = err as { exception?: unknown };
  if (e && typeof e === "object" && "exception" in e) return `truncated or corrupt data set: ${String(e.exception)}`;
  return String(err);
}

function checkMetaHasSyntax(bytes: Uint8Array, file: string): void {
  const meta = callParser(file, () => dicomParser.readPart10Header(bytes));
  if (!meta.elements.x00020010) throw new IoError(file, "missing transfer syntax (0002,0010) in the file meta header");
}

/**
 * A bare data set (PS3.10 allows none, but pydicom's samples have them) starts with a group
 * 0x0008 element in one of the three uncompressed syntaxes: its tag group and whether bytes 4-5
 * spell a VR tell which.
 */
function sniffBareSyntax(bytes: Uint8Array, file: string): string {
  if (bytes.length < 8) throw new IoError(file, `not a DICOM file (only ${bytes.length} bytes)`);
  const groupLE = bytes[0] | (bytes[1] << 8);
  const groupBE = (bytes[0] << 8) | bytes[1];
  const vrLike = isUpper(bytes[4]) && isUpper(bytes[5]);
  if (groupLE >= 0x0002 && groupLE <= 0x0010 && bytes[1] === 0) return vrLike ? TS.explicitLE : TS.implicitLE;
  if (groupBE >= 0x0002 && groupBE <= 0x0010 && bytes[0] === 0 && vrLike) return TS.explicitBE;
  throw new IoError(file, "not a DICOM file (no DICM prefix at byte 128 and no recognisable data set start)");
}

function isUpper(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}

/**
 * Inflates the deflated data set after the meta header without ever inflating more than its own
 * header promises: first just enough to read every element before the pixel data (growing the
 * prefix, at most 16 MiB), then the whole stream with a hard ceiling of that header plus the
 * pixel bytes its Rows, Columns, frames and BitsAllocated describe (plus a little slack). A small
 * file that inflates to gigabytes stops at the ceiling with an error naming the file.
 */
function inflateBounded(arr: Uint8Array, position: number, file: string): Uint8Array {
  const deflated = arr.subarray(position);
  const ceiling = deflatedCeiling(deflated, file);
  const inflated = inflateRaw(deflated, ceiling, file, false);
  const full = new Uint8Array(position + inflated.length);
  full.set(arr.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

/** The most bytes the whole inflated data set may hold, from the elements before its pixel data. */
function deflatedCeiling(deflated: Uint8Array, file: string): number {
  // fflate streams the prefix (node:zlib has no synchronous streaming), 4 KiB of input at a time,
  // so at most 16 MiB plus one step's output is ever held while looking for the pixel element.
  const chunks: Uint8Array[] = [];
  let produced = 0, parsedAt = 0;
  let head: DeflatedHead | "no pixel data" | undefined;
  const inflater = new Inflate((chunk) => {
    chunks.push(chunk);
    produced += chunk.length;
  });
  const STEP = 4096;
  for (let at = 0; at < deflated.length && head === undefined; at += STEP) {
    const last = at + STEP >= deflated.length;
    try {
      inflater.push(deflated.subarray(at, at + STEP), last);
    } catch (err) {
      throw new IoError(file, `corrupt deflated data set (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    if (produced >= 2 * parsedAt + 512 || last) {
      const prefix = concat(chunks, produced);
      chunks.length = 0;
      chunks.push(prefix);
      parsedAt = produced;
      head = parseHead(prefix, last);
      if (head === undefined && produced >= MAX_DEFLATED_HEADER_BYTES) {
        throw new IoError(file, `deflated data set: no readable pixel data element within its first ${produced} inflated bytes`);
      }
    }
  }
  if (head === undefined) throw new IoError(file, "deflated data set: truncated before its pixel data element");
  if (head === "no pixel data") return produced + TRAILING_SLACK_BYTES;
  return head.pixelStart + pixelBytesAllowed(head, file) + TRAILING_SLACK_BYTES;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

interface DeflatedHead {
  readonly pixelStart: number;
  readonly pixelLength: number;
  readonly expectedPixelBytes: number | undefined;
}

/**
 * The pixel data element of an inflated prefix; "no pixel data" when the whole (`complete`) data
 * set has none; undefined when the prefix ends before it (inflate more).
 */
function parseHead(prefix: Uint8Array, complete: boolean): DeflatedHead | "no pixel data" | undefined {
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(prefix, { TransferSyntaxUID: TS.explicitLE, untilTag: "x7fe00010" } as dicomParser.ParseDicomOptions);
  } catch {
    return undefined; // the prefix ends inside an element: inflate more
  }
  const el = ds.elements.x7fe00010;
  if (!el) return complete ? "no pixel data" : undefined;
  const frames = Number((ds.string("x00280008") ?? "1").trim() || "1");
  const parts = [ds.uint16("x00280010"), ds.uint16("x00280011"), ds.uint16("x00280002") ?? 1, ds.uint16("x00280100")];
  const known = parts.every((v) => v !== undefined && v > 0) && Number.isSafeInteger(frames) && frames > 0;
  const expected = known ? Math.ceil((parts as number[]).reduce((a, b) => a * b, frames) / 8) : undefined;
  return { pixelStart: el.dataOffset, pixelLength: el.hadUndefinedLength ? -1 : el.length, expectedPixelBytes: expected };
}

function pixelBytesAllowed(head: DeflatedHead, file: string): number {
  if (head.pixelLength < 0) throw new IoError(file, "encapsulated (undefined-length) pixel data inside a deflated data set");
  if (head.expectedPixelBytes !== undefined && head.pixelLength > head.expectedPixelBytes + 1) {
    throw new IoError(file, `pixel data element of ${head.pixelLength} bytes, but Rows, Columns, frames and BitsAllocated describe ${head.expectedPixelBytes}`);
  }
  return head.pixelLength;
}

/** inflateRawSync with an output ceiling; `partial` accepts a stream cut short (a prefix). */
function inflateRaw(bytes: Uint8Array, maxBytes: number, file: string, partial: boolean): Buffer {
  try {
    return inflateRawSync(bytes, { maxOutputLength: Math.max(1, Math.floor(maxBytes)), finishFlush: constants.Z_SYNC_FLUSH });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE" && !partial) {
      throw new IoError(file, `deflated data set inflates to more than the ${maxBytes} bytes its header describes`);
    }
    if (code === "ERR_BUFFER_TOO_LARGE") throw new IoError(file, `deflated data set: more than ${maxBytes} bytes before the pixel data`);
    throw new IoError(file, `corrupt deflated data set (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}
