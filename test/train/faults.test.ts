// Training faults, as a user meets them: kill -9 at random moments (a few here; `npm run faults`
// runs 20), a disk that fills up mid-run, and a data case that cannot be read. Every time the run
// resumes or goes on, and no checkpoint is half-written, inconsistent or left unreadable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO } from "../paths.js";
import { runTraining } from "../../src/train/run.js";
import { writeNifti } from "../../src/io/nifti/index.js";
import { checkpointProblems, killCampaign, sidecars, startTraining, tempFiles } from "./faults.js";

const KILLS = Number(process.env.CARDIOSEG_FAULT_KILLS ?? 3);
const SEED = Number(process.env.CARDIOSEG_FAULT_SEED ?? 20250601);
/** Enough iterations that every kill (each advances the run by at most 4) lands in a running process. */
const ITERATIONS = Math.max(16, 3 * KILLS);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function trainLines(runDir: string): number[] {
  return readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { iter: number; loss?: number }).filter((l) => l.loss !== undefined).map((l) => l.iter);
}

test(`kill -9 at ${KILLS} random moments: every checkpoint stays whole and --resume always continues`, { timeout: 30 * 60_000 }, async () => {
  const runDir = mkdtempSync(join(tmpdir(), "cardioseg-kill-"));
  try {
    const result = await killCampaign(runDir, { kills: KILLS, seed: SEED, iterations: ITERATIONS, log: (l) => process.stdout.write(`# ${l}\n`) });
    for (const [i, k] of result.kills.entries()) {
      assert.deepEqual(k.problems, [], `kill ${i + 1}: ${k.problems.join("; ")}`);
      if (k.loggedIter >= 2) assert.ok(k.resumeFrom, `kill ${i + 1} after iteration ${k.loggedIter}: nothing to resume from`);
    }
    assert.equal(result.final.code, 0, result.final.output.slice(-2000));
    assert.match(result.final.output, new RegExp(`finished at iteration ${ITERATIONS}`));
    // Each iteration's line once, in order: resumes neither lost nor repeated any.
    assert.deepEqual(result.loggedIters, range(ITERATIONS));
    assert.deepEqual(checkpointProblems(runDir), []);
    assert.deepEqual(tempFiles(runDir), []);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});

test("a disk that fills up mid-run: the error names the file, nothing written before is lost, the run resumes", { timeout: 10 * 60_000 }, async () => {
  const preload = pathToFileURL(join(REPO, "dist", "test", "train", "enospc-preload.js")).href;
  // Temp files written before the disk is full (config 1; per iteration a metrics flush, then
  // iter_N weights, optimiser, sidecar and last.*): after 12 the disk fills while last.safetensors is
  // written (its old sidecar already removed), after 14 while last.json itself is written.
  for (const after of [12, 14]) {
    const runDir = mkdtempSync(join(tmpdir(), "cardioseg-enospc-"));
    try {
      const full = await startTraining(runDir, { iterations: 8, execArgv: ["--import", preload], env: { CARDIOSEG_TEST_ENOSPC_AFTER: String(after) } }).done;
      assert.equal(full.code, 1, full.output.slice(-1500));
      assert.match(full.output, /cardioseg: \S+: cannot write \(ENOSPC: no space left on device/);
      assert.deepEqual(tempFiles(runDir), []);
      assert.deepEqual(checkpointProblems(runDir), []);
      const kept = trainLines(runDir);
      assert.deepEqual(kept, range(kept.length), "metrics.jsonl holds whole lines only");
      assert.ok(sidecars(runDir).length > 0, "some checkpoint was complete before the disk filled");
      const resumed = await startTraining(runDir, { resume: true, iterations: 8 }).done;
      assert.equal(resumed.code, 0, resumed.output.slice(-1500));
      assert.deepEqual(trainLines(runDir), range(8));
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  }
});

test("a data case that cannot be read is reported and skipped; training goes on", { timeout: 5 * 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), "cardioseg-badcase-"));
  const lines: string[] = [];
  try {
    const [W, H, Z] = [40, 36, 3];
    for (let p = 1; p <= 4; p++) {
      const id = `patient${String(p).padStart(3, "0")}`, dir = join(root, id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "Info.cfg"), "ED: 1\nES: 5\n");
      for (const f of ["01", "05"]) {
        const img = new Float32Array(W * H * Z), lab = new Uint8Array(W * H * Z);
        for (let i = 0; i < img.length; i++) {
          const r = Math.hypot((i % W) - 20, (Math.floor(i / W) % H) - 18);
          lab[i] = r < 5 ? 3 : r < 8 ? 2 : r < 11 ? 1 : 0;
          img[i] = lab[i] * 40 + (i % 13);
        }
        const geometry = { dims: [W, H, Z], spacing: [2, 2, 8], affine: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 8, 0, 0, 0, 0, 1], meta: {} };
        writeNifti(join(dir, `${id}_frame${f}.nii.gz`), { ...geometry, data: img }, { as: "float32" });
        writeNifti(join(dir, `${id}_frame${f}_gt.nii.gz`), { ...geometry, data: lab }, { as: "uint8" });
      }
    }
    const bad = join(root, "patient002", "patient002_frame05_gt.nii.gz");
    const whole = readFileSync(bad);
    writeFileSync(bad, whole.subarray(0, whole.length >> 1)); // truncated
    const result = await runTraining({
      config: join(REPO, "configs", "test-tiny.yaml"), data: root, out: join(root, "run"), progress: "silent", handleSignals: false,
      overrides: ["train.iterations=2", "data.trainPatients=1-3", "data.valPatients=\"004\""], log: (l) => lines.push(l),
    });
    assert.equal(result.iter, 2);
    const warning = lines.find((l) => l.includes("skipped case patient002_ES"));
    assert.ok(warning, lines.join("\n"));
    assert.ok(warning.includes(bad), warning);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
