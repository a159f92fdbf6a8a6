// src/util/hash.ts — content hashes of files (what names a cached export: the weights' sha256).
import { closeSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";

/** sha256 (hex) of a file's bytes, read in 4 MiB pieces (weights files are tens of megabytes). */
export function fileSha256(path: string): string {
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(4 * 2 ** 20);
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** sha256 (hex) of bytes in memory. */
export function bytesSha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
