// parse.ts owns turning the bytes of one file into a dicom-parser DataSet: Part 10 files and
// bare data sets (no preamble/meta; their syntax is sniffed from the first element), a bounded
// inflater for the deflated syntax, and rewrapping dicom-parser's thrown strings as IoErrors.
import dicomParser from "dicom-parser";
import type { DataSet } from "dicom-parser";
import { constants, inflateRawSync } from "node:zlib";
import { IoError } from "../errors.js";

export const TS = {
  implicitLE: "1.2.840.10008.1.2",
  explicitLE: "1.2.840.10008.1.2.1",
  deflatedLE: "1.2.840.10008.1.2.1.99",
  explicitBE: "1.2.840.10008.1.2.2",
} as const;

/** Deflate expands at most ~1032:1; and no image we handle needs more than this many bytes. */
const MAX_INFLATED_BYTES = 1 << 30;

export interface ParsedDicom {
  readonly file: string;
  readonly dataSet: DataSet;
  readonly transferSyntax: string;
  readonly hasMeta: boolean;
}

/** Parses one DICOM file's bytes; `untilPixels` stops before (7FE0,0010) for header scans. */
export function parseDicomBytes(bytes: Uint8Array, file: string, untilPixels = false): ParsedDicom {
  const hasMeta = bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === "DICM";
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

/** Inflates the deflated data set after the meta header, with a hard output bound (zip bombs). */
function inflateBounded(arr: Uint8Array, position: number, file: string): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(arr.subarray(position), {
      maxOutputLength: Math.min(MAX_INFLATED_BYTES, Math.max(1024, (arr.length - position) * 1032)),
      finishFlush: constants.Z_SYNC_FLUSH,
    });
  } catch (err) {
    throw new IoError(file, `corrupt deflated data set (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(arr.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}
