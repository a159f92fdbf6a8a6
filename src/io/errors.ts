// errors.ts — the one error type every reader and writer in src/io throws for bad input, so that
// callers (folder loaders, the CLI) can report "file: problem" and carry on with the next file.
import { readFileSync } from "node:fs";

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

/** The bytes of an input file; a missing or unreadable file is an IoError naming it. */
export function readInputFile(path: string): Buffer {
  return withFile(path, "cannot read", () => readFileSync(path));
}

/** An input file as UTF-8 text; a missing or unreadable file is an IoError naming it. */
export function readInputText(path: string): string {
  return withFile(path, "cannot read", () => readFileSync(path, "utf8"));
}
