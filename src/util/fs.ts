// src/util — small helpers shared by every layer (no dependency on any other src folder).
// fs.ts owns crash-safe file writing: every output of cardioseg (checkpoints, masks, reports)
// goes through writeFileAtomic so that a killed process never leaves a half-written file.
// A failure (a full disk: ENOSPC, a folder where the file should go, no permission) is an Error
// "<path>: cannot write (…)" carrying the system error's code; the temp file is removed and
// whatever `path` held before is untouched.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";

/** An output that could not be written; `code` is the system error's (ENOSPC, EISDIR, EACCES…). */
export class WriteError extends Error {
  readonly path: string;
  readonly code: string | undefined;

  constructor(path: string, detail: string, cause?: unknown) {
    super(`${path}: cannot write (${detail})`, { cause });
    this.name = "WriteError";
    this.path = path;
    this.code = (cause as { code?: string } | undefined)?.code;
  }
}

/** Write `data` to `path` atomically: a temp file in the same folder, fsync, then rename. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new WriteError(path, "it is a folder");
  const dir = dirname(path);
  attempt(path, () => mkdirSync(dir, { recursive: true }));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = attempt(path, () => openSync(tmp, "w"));
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw new WriteError(path, messageOf(err), err);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true }); // e.g. `path` is a folder: leave nothing behind
    throw new WriteError(path, messageOf(err), err);
  }
  fsyncDirectory(dir);
}

function attempt<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new WriteError(path, messageOf(err), err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Removes temp files writeFileAtomic left in `dir` when its process was killed (the writer's pid is
 * in the name and no longer runs). Called before resuming, so a killed run leaves nothing behind.
 */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\..+\.(\d+)\.\d+\.tmp$/.exec(name);
    if (m && !processAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable; some file systems refuse to open a folder, which is harmless.
  try {
    const fd = openSync(dir, "r");
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* best effort */ }
}
