// src/util — small helpers shared by every layer (no dependency on any other src folder).
// fs.ts owns crash-safe file writing: every output of cardioseg (checkpoints, masks, reports)
// goes through writeFileAtomic so that a killed process never leaves a half-written file.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";

/** Write `data` to `path` atomically: a temp file in the same folder, fsync, then rename. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(tmp, "w");
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true }); // e.g. `path` is a folder: leave nothing behind
    throw err;
  }
  fsyncDirectory(dir);
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable; some file systems refuse to open a folder, which is harmless.
  try {
    const fd = openSync(dir, "r");
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* best effort */ }
}
