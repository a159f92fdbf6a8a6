// Checkpoint integrity: every checkpoint file carries a checksum verified on load; a flipped byte
// anywhere is refused naming the file, a sidecar never pairs with another save's tensors, and
// `--resume RUNDIR` falls back to the newest checkpoint that verifies, with a warning.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Batch } from "../../src/data/types.js";
import { loadSafetensors } from "../../src/tensor/safetensors.js";
import { applyOverrides, defaultExperimentConfig, resolveConfig } from "../../src/train/config.js";
import { readSidecar, resolveResumePath, verifyCheckpoint } from "../../src/train/checkpoint.js";
import { Trainer, type BatchSource } from "../../src/train/trainer.js";
import { rng } from "../paths.js";

class Stream implements BatchSource {
  n = 0;
  next(): Batch {
    const n = this.n++, [B, H, W] = [2, 16, 16];
    const images = Float32Array.from({ length: B * H * W }, (_, i) => Math.sin(i * 0.3 + n));
    const labels = Uint8Array.from({ length: B * H * W }, (_, i) => (i + n) % 4);
    return { images, labels, ids: [`b${n}`], batchSize: B, height: H, width: W };
  }
  state(): unknown { return { n: this.n }; }
  restore(s: unknown): void { this.n = (s as { n: number }).n; }
}

/** A finished 4-iteration run (checkpoints at 2 and 4, last = 4). */
async function trainedRun(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "cardioseg-integrity-"));
  const config = applyOverrides(resolveConfig({ ...defaultExperimentConfig, name: "t", seed: 2 }), [
    "model.backbone=18", "model.width=4", "model.asppChannels=8", "model.outputStride=16", "train.iterations=4", "train.batchSize=2",
    "train.logEvery=1", "train.valEvery=100", "train.checkpointEvery=2", "train.keepLast=3", "optim.name=sgd",
  ]);
  const t = new Trainer({ config, runDir: dir, train: new Stream(), classNames: ["bg", "RV", "MYO", "LV"], progress: "silent", handleSignals: false });
  try {
    await t.run();
  } finally {
    t.dispose();
  }
  return dir;
}

function flipByte(path: string, at: number): void {
  const b = readFileSync(path);
  b[at] ^= 0x10;
  writeFileSync(path, b);
}

test("a flipped byte anywhere in a checkpoint file is refused with the file named", async () => {
  const dir = await trainedRun();
  try {
    const random = rng(13);
    const files = ["last.safetensors", "last.optim.safetensors", "last.json"].map((f) => join(dir, f));
    for (const file of files) {
      const pristine = readFileSync(file);
      // The header, the data and (for tensors) the digest itself: every position is covered.
      for (const at of [10, Math.floor(pristine.length / 2), pristine.length - 3, Math.floor(random() * pristine.length)]) {
        flipByte(file, at);
        assert.throws(() => verifyCheckpoint(join(dir, "last.json")), (err: unknown) => {
          assert.ok(err instanceof Error && err.message.includes(file), `${file} @${at}: ${String(err)}`);
          return true;
        });
        writeFileSync(file, pristine);
      }
    }
    flipByte(join(dir, "last.safetensors"), 5000);
    assert.throws(() => loadSafetensors(join(dir, "last.safetensors")), /last\.safetensors: checksum mismatch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--resume RUNDIR falls back to the newest checkpoint that verifies, naming what it skipped", async () => {
  const dir = await trainedRun();
  try {
    const warnings: string[] = [];
    assert.equal(resolveResumePath(dir, (w) => warnings.push(w)), join(dir, "last.json"));
    assert.equal(warnings.length, 0);
    flipByte(join(dir, "last.safetensors"), 2000);
    assert.equal(resolveResumePath(dir, (w) => warnings.push(w)), join(dir, "checkpoints", "iter_000004.json"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /last\.safetensors: checksum mismatch.*resuming from an earlier checkpoint/);
    // A sidecar paired with another save's weights (an interrupted save) does not verify either.
    copyFileSync(join(dir, "checkpoints", "iter_000002.safetensors"), join(dir, "checkpoints", "iter_000004.safetensors"));
    warnings.length = 0;
    assert.equal(resolveResumePath(dir, (w) => warnings.push(w)), join(dir, "checkpoints", "iter_000002.json"));
    assert.match(warnings.join("\n"), /iter_000004\.safetensors: does not belong to .*iter_000004\.json/);
    // An explicit checkpoint is verified strictly: no fallback.
    assert.throws(() => resolveResumePath(join(dir, "last.json")), /last\.safetensors: checksum mismatch/);
    assert.equal(readSidecar(join(dir, "checkpoints", "iter_000002.json")).iter, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a sidecar that is not a checkpoint is refused naming the field", async () => {
  const dir = await trainedRun();
  try {
    const side = join(dir, "best-bad.json");
    writeFileSync(side, JSON.stringify({ format: "cardioseg-checkpoint-1", iter: 2, weights: "../../etc/passwd", optimizerFile: null }));
    assert.throws(() => readSidecar(side), /best-bad\.json: not a valid cardioseg checkpoint sidecar: weights: must be a file name/);
    writeFileSync(side, "{");
    assert.throws(() => readSidecar(side), /best-bad\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
