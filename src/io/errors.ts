// errors.ts — the one error type every reader and writer in src/io throws for bad input, so that
// callers (folder loaders, the CLI) can report "file: problem" and carry on with the next file.
import { readFileSync, statSync } from "node:fs";

/** A problem with one input or output file: `message` is "<file>: <problem>". */
export class IoError extends Error {
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = "IoError";
    this.file = file;
    this.problem = problem;
  }
}

/** Runs `fn`; anything it throws that is not already an IoError is rewrapped with the file name. */
export function withFile<T>(file: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IoError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new IoError(file, `${what}: ${detail}`, { cause: err });
  }
}

/** Node cannot read a file into one buffer beyond this (2 GiB - 1). */
export const MAX_INPUT_BYTES = 2 ** 31 - 1;

/**
 * Checks that `path` is a regular file of at most `maxBytes` and returns its size. A folder, a
 * FIFO or a device (reading those blocks or never ends) and an oversized file are IoErrors
 * naming it, raised before anything is read.
 */
export function checkInputFile(path: string, maxBytes = MAX_INPUT_BYTES): number {
  const st = withFile(path, "cannot read", () => statSync(path));
  if (st.isDirectory()) throw new IoError(path, "is a folder, not a file");
  if (!st.isFile()) throw new IoError(path, "is not a regular file (a pipe, socket or device?)");
  if (st.size > maxBytes) throw new IoError(path, `file of ${st.size} bytes exceeds the ${maxBytes}-byte limit`);
  return st.size;
}

/** The bytes of an input file; a missing, unreadable or oversized file is an IoError naming it. */
export function readInputFile(path: string, maxBytes = MAX_INPUT_BYTES): Buffer {
  checkInputFile(path, maxBytes);
  return withFile(path, "cannot read", () => readFileSync(path));
}

/** An input file as UTF-8 text; a missing, unreadable or oversized file is an IoError naming it. */
export function readInputText(path: string, maxBytes = MAX_INPUT_BYTES): string {
  checkInputFile(path, maxBytes);
  return withFile(path, "cannot read", () => readFileSync(path, "utf8"));
}

/** The message of anything thrown (Error or not). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
