// test/serve — tests of `cardioseg serve`: the HTTP contract and its security (server.test.ts, no
// model, no browser), the CLI (cli.test.ts) and the page in a real Chromium (web.test.ts).
// helpers.ts: the toy model the page segments with, the browser, and small HTTP helpers.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { runTraining } from "../../src/train/run.js";
import { quiet, TEST_TINY, type TinyRun } from "../infer/helpers.js";

/**
 * configs/test-tiny.yaml made able to find the phantom's LV within seconds: native resolution
 * (1.3 mm, 48 px crops), output stride 8, no augmentation or dropout, AdamW. 200 iterations
 * (about 8 s on 2 idle cores) give an LV Dice near 0.9 on the training phantoms; what matters
 * here is only that the model predicts an LV the page can show and measure.
 */
export const WEB_TOY_OVERRIDES = [
  "train.iterations=200", "train.valEvery=200", "train.checkpointEvery=200", "train.batchSize=4", "train.iterSize=1",
  "data.spacing=1.3", "data.cropSize=48", "data.augment=false", "model.outputStride=8", "model.width=8",
  "model.auxLoss=false", "model.dropout=0", "model.norm=group", "model.normGroups=2",
  "optim.name=adamw", "optim.lr=0.01", "optim.headLrMult=1", "loss.name=ce",
];

/** 3 phantom patients of 48 px in the ACDC layout and the toy model trained on them. */
export async function toyRun(prefix: string): Promise<TinyRun> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, "data"), runDir = join(root, "runs", "toy");
  writeSynthDataset({ out: dataDir, cases: 3, seed: 5, size: 48, preview: false });
  await runTraining({ config: TEST_TINY, data: dataDir, out: runDir, overrides: WEB_TOY_OVERRIDES, ...quiet });
  return { root, dataDir, runDir };
}

/** Debian's chromium (scripts/setup.mjs installs it), or CHROMIUM_PATH. */
export function findChromium(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (p && existsSync(p)) return p;
  return undefined;
}

/**
 * Headless Chromium flags: no sandbox (tests run as root here), and WebGL2 through SwiftShader,
 * the software GL the machine has (decisions.md: NiiVue needs WebGL2).
 */
export const CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--window-size=1200,800"];

export interface HttpResult { status: number; headers: Headers; text: string }

export async function http(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A NIfTI-1 header claiming dims x float32 voxels, followed by almost nothing. */
export function hugeClaimNifti(dims: readonly number[]): Buffer {
  const b = Buffer.alloc(352 + 16);
  b.writeInt32LE(348, 0);
  b.writeInt16LE(dims.length, 40);
  dims.forEach((d, i) => b.writeInt16LE(d, 42 + 2 * i));
  for (let i = dims.length; i < 7; i++) b.writeInt16LE(1, 42 + 2 * i);
  b.writeInt16LE(16, 70); // float32
  b.writeInt16LE(32, 72);
  for (let i = 0; i < 8; i++) b.writeFloatLE(1, 76 + 4 * i);
  b.writeFloatLE(352, 108);
  b.write("n+1\0", 344, "latin1");
  return b;
}
