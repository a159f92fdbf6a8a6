// gzip.ts — bounded gzip decoding with node:zlib. A .gz header cannot say how big its content is
// (ISIZE is modulo 2^32 and forgeable), so callers first inflate a small prefix to read the format
// header, compute the size the header claims, check it, and only then inflate with that bound.
import { constants, gunzipSync } from "node:zlib";
import { IoError } from "./errors.js";

/** Deflate cannot expand data by more than ~1032:1; anything claiming more is corrupt. */
export const MAX_DEFLATE_RATIO = 1032;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates at least `minBytes` from the start of the stream (fewer only if the stream is shorter). */
export function gunzipPrefix(bytes: Uint8Array, minBytes: number, file: string): Buffer {
  for (let take = 4096; ; take *= 4) {
    const part = bytes.subarray(0, Math.min(take, bytes.length));
    const out = inflate(part, file, minBytes + take * MAX_DEFLATE_RATIO);
    if (out.length >= minBytes || part.length === bytes.length) return out;
  }
}

/** Inflates the whole stream; a stream longer than `maxBytes` is an error, a short one is returned as is. */
export function gunzipBounded(bytes: Uint8Array, maxBytes: number, file: string): Buffer {
  return inflate(bytes, file, maxBytes);
}

function inflate(bytes: Uint8Array, file: string, maxBytes: number): Buffer {
  try {
    // Z_SYNC_FLUSH returns what a truncated stream holds instead of throwing, so the caller can
    // say "truncated: N of M bytes" rather than a bare zlib message.
    return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, Math.floor(maxBytes)) });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") throw new IoError(file, `gzip content is larger than the ${maxBytes} bytes its header describes`);
    throw new IoError(file, `corrupt gzip data (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}
