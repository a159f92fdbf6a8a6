// test/paths.ts — where the repository, its committed fixtures and the shared real data live, for
// every test folder (one place, so no test guesses paths of its own).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../src/util/project.js";
import { Random } from "../src/util/random.js";

export const REPO = projectRoot();
/**
 * ../shared/data beside the project root (real data sets; absent on some machines). CARDIOSEG_SHARED
 * names another shared folder (e.g. from a git worktree, which has no ../shared of its own).
 */
export const SHARED = join(process.env.CARDIOSEG_SHARED ?? join(REPO, "..", "shared"), "data");

/** `false` when the path exists, else the skip reason node:test prints. */
export function skipUnless(path: string): string | false {
  return existsSync(path) ? false : `${path} absent (shared data not available)`;
}

/** A reproducible uniform [0, 1) stream for fuzz and property tests (src/util/random's generator). */
export function rng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}
