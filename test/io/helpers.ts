// test/io — tests of src/io (readers, writers, contours, data set layouts, convert).
// helpers.ts: where the repository, its fixtures and the shared data live, for every io test.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export { REPO, SHARED, skipUnless, rng } from "../paths.js";
import { REPO } from "../paths.js";

export const FIXTURES = join(REPO, "test", "fixtures", "io");

export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `cardioseg-${tag}-`));
}

