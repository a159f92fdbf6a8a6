// test/infer — tests of predict, evaluate and the clean-up of predicted label maps.
// helpers.ts trains the tiny model the tests predict with: configs/test-tiny.yaml (as test/train
// does) for a few iterations on a few small phantoms written to disk in the ACDC layout, so that
// evaluate can recover the run's validation split from the same folder.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTraining } from "../../src/train/run.js";
import { writeSynthDataset } from "../../src/synth/dataset.js";

export const TEST_TINY = new URL("../../../configs/test-tiny.yaml", import.meta.url).pathname;
export const CLI_MAIN = new URL("../../src/cli/main.js", import.meta.url).pathname;
export const quiet = { progress: "silent" as const, handleSignals: false, log: (): void => undefined };

export interface TinyRun { root: string; dataDir: string; runDir: string }

/** 3 phantom patients of 48 px on disk and a test-tiny run trained on them for 2 iterations. */
export async function tinyRun(prefix: string, overrides: readonly string[] = []): Promise<TinyRun> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, "data"), runDir = join(root, "run");
  writeSynthDataset({ out: dataDir, cases: 3, seed: 5, size: 48, preview: false });
  await runTraining({ config: TEST_TINY, data: dataDir, out: runDir, overrides: ["train.iterations=2", "train.valEvery=2", ...overrides], ...quiet });
  return { root, dataDir, runDir };
}
