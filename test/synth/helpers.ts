// test/synth — tests of the synthetic phantom (src/synth). helpers.ts: small label-map queries the
// tests share, written independently of the generator (plain loops over the voxel array).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LabelVolume } from "../../src/io/image.js";
import { generateCase, type PhantomCase } from "../../src/synth/phantom.js";

/** Small but realistic: 128 px keeps the whole heart in view and each case around 50 ms. */
export const TEST_SIZE = 128;

const cache = new Map<string, PhantomCase>();

/** Cases are pure functions of (seed, index, size); generate each once per test file. */
export function phantomCase(seed: number, index: number, size = TEST_SIZE): PhantomCase {
  const key = `${seed}/${index}/${size}`;
  let c = cache.get(key);
  if (!c) {
    c = generateCase(seed, index, size);
    cache.set(key, c);
  }
  return c;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `cardioseg-synth-${tag}-`));
}

export function countLabel(labels: LabelVolume, label: number, slice?: number): number {
  const [nx, ny, nz] = labels.dims, n = nx * ny;
  const [k0, k1] = slice === undefined ? [0, nz] : [slice, slice + 1];
  let count = 0;
  for (let p = k0 * n; p < k1 * n; p++) if (labels.data[p] === label) count++;
  return count;
}

/** Labels of the 4-neighbours of voxel (i, j, k); -1 outside the image. */
export function neighbours4(labels: LabelVolume, i: number, j: number, k: number): number[] {
  const [nx, ny] = labels.dims;
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= nx || y >= ny ? -1 : labels.data[x + nx * (y + ny * k)]);
  return [at(i - 1, j), at(i + 1, j), at(i, j - 1), at(i, j + 1)];
}
