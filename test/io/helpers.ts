// test/io — tests of src/io (readers, writers, contours, data set layouts, convert).
// helpers.ts: where the repository, its fixtures and the shared data live, for every io test.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}

export const REPO = findRepoRoot();
export const SHARED = join(REPO, "..", "shared", "data");
export const FIXTURES = join(REPO, "test", "fixtures", "io");

/** `false` when the path exists, else the skip reason node:test prints. */
export function skipUnless(path: string): string | false {
  return existsSync(path) ? false : `${path} absent (shared data not available)`;
}

export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `cardioseg-${tag}-`));
}

/** Deterministic PRNG (mulberry32) so fuzz runs are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
