// web/src/shims/zlib.ts — node:zlib for the page's bundle, on fflate: the calls src/io makes
// (gunzipSync and inflateRawSync with Node's finishFlush / maxOutputLength meaning, gzipSync), so
// NIfTI and deflated DICOM read in the browser with the same bounds and messages as on the server.
import { Buffer } from "buffer";
import { Gunzip, Inflate, gzipSync as fflateGzip } from "fflate";

export const constants = { Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4 };

interface Options { finishFlush?: number; maxOutputLength?: number; level?: number }

type Stream = { ondata: (chunk: Uint8Array, final: boolean) => void; push(chunk: Uint8Array, final?: boolean): void };

/**
 * Inflates with a fresh fflate stream. Like Node, a stream that ends early is an error unless
 * finishFlush is Z_SYNC_FLUSH (then what it holds is returned), and output beyond maxOutputLength
 * is an ERR_BUFFER_TOO_LARGE error.
 */
function inflate(make: () => Stream, bytes: Uint8Array, o: Options = {}): Buffer {
  const max = o.maxOutputLength ?? 2 ** 31;
  const run = (final: boolean): Uint8Array[] => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const s = make();
    s.ondata = (chunk) => {
      total += chunk.length;
      if (total > max) {
        const err = new RangeError(`Cannot create a Buffer larger than ${max} bytes`) as RangeError & { code: string };
        err.code = "ERR_BUFFER_TOO_LARGE";
        throw err;
      }
      chunks.push(chunk);
    };
    s.push(bytes, final);
    return chunks;
  };
  let chunks: Uint8Array[];
  try {
    chunks = run(true);
  } catch (err) {
    const truncated = err instanceof Error && /unexpected EOF/i.test(err.message);
    if (!truncated || o.finishFlush !== constants.Z_SYNC_FLUSH) throw truncated ? new Error("unexpected end of file") : err;
    chunks = run(false);
  }
  return Buffer.concat(chunks);
}

export function gunzipSync(bytes: Uint8Array, o?: Options): Buffer {
  return inflate(() => new Gunzip() as unknown as Stream, bytes, o);
}

export function inflateRawSync(bytes: Uint8Array, o?: Options): Buffer {
  return inflate(() => new Inflate() as unknown as Stream, bytes, o);
}

export function gzipSync(bytes: Uint8Array, o?: Options): Buffer {
  const level = Math.min(9, Math.max(0, o?.level ?? 6)) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  const out = fflateGzip(bytes, { level });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export default { constants, gunzipSync, inflateRawSync, gzipSync };
