// test/paths.ts — where the repository, its committed fixtures and the shared real data live, for
// every test folder (one place, so no test guesses paths of its own).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Random } from "../src/util/random.js";

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
/** ../shared/data beside the project root (real data sets; absent on some machines). */
export const SHARED = join(REPO, "..", "shared", "data");

/** `false` when the path exists, else the skip reason node:test prints. */
export function skipUnless(path: string): string | false {
  return existsSync(path) ? false : `${path} absent (shared data not available)`;
}

/** A reproducible uniform [0, 1) stream for fuzz and property tests (src/util/random's generator). */
export function rng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}
