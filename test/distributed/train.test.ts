// Distributed training end to end on loopback (127.0.0.1), 2 processes x 1 thread, tiny models on
// generated phantoms, through `cardioseg train --nproc 2` (the launcher) or workers started with
// torchrun's variables:
// - after k steps the weights equal those of 1 process with the same global batch (GroupNorm; and
//   BatchNorm with distributed.syncBatchNorm, where plain per-rank BatchNorm differs), and the
//   sharded validation's merged scores equal the 1-process ones;
// - a resumed distributed run ends with the weights of an uninterrupted one, and a 1-process resume
//   of a 2-process checkpoint continues it;
// - a killed rank makes the other exit non-zero within the timeout, naming the rank, and leaves no
//   half-written checkpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSafetensors } from "../../src/tensor/safetensors.js";
import { freePort } from "../../src/distributed/launch.js";
import { c10dBackends } from "../../src/tensor/index.js";

const skip = c10dBackends().gloo ? false : "this addon was built without c10d's Gloo backend (Debian: libgloo-dev, then rebuild)";

const CLI = new URL("../../src/cli/main.js", import.meta.url).pathname;
const CONFIG = new URL("../../../configs/test-tiny.yaml", import.meta.url).pathname;
// No dropout (its masks depend on how a batch is split) and no aux head; a constant rate so a run of
// 2 + 2 iterations equals one of 4. normGroups 2: GroupNorm over ASPP's 1x1 pooled map stays well posed.
const COMMON = ["model.auxLoss=false", "model.dropout=0", "schedule.kind=constant", "train.iterations=4", "train.valEvery=4",
  "train.checkpointEvery=2", "model.normGroups=2"];

interface Exit { code: number | null; stdout: string; stderr: string; seconds: number }

function run(args: string[], env: NodeJS.ProcessEnv = {}, onStderr?: (text: string) => void): { done: Promise<Exit>; pid: number } {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, "train", "--config", CONFIG, "--progress", "log", ...args],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); onStderr?.(stderr); });
  const done = new Promise<Exit>((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 })));
  return { done, pid: child.pid as number };
}

async function train(out: string, extra: string[], nproc = 1): Promise<Exit> {
  const r = await run(["--out", out, ...(nproc > 1 ? ["--nproc", String(nproc)] : []), ...COMMON, ...extra]).done;
  assert.equal(r.code, 0, `train ${extra.join(" ")} failed:\n${r.stderr}`);
  return r;
}

function maxAbsDiff(a: string, b: string): number {
  const ta = loadSafetensors(a).tensors, tb = loadSafetensors(b).tensors;
  let max = 0;
  for (const [k, t] of ta) {
    const x = t.toArray(), y = (tb.get(k) ?? assert.fail(`${k} missing in ${b}`)).toArray();
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(Number(x[i]) - Number(y[i])));
  }
  for (const t of [...ta.values(), ...tb.values()]) t.dispose();
  return max;
}

function valScores(dir: string): unknown[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { val?: unknown }).filter((l) => l.val);
}

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `dist-${name}-`));

test("2 processes x batch 2 train like 1 process x batch 4 (GroupNorm); resume, also on 1 process, continues the run", { skip }, async () => {
  const two = tmp("gn2"), one = tmp("gn1");
  const r2 = await train(two, ["model.norm=group"], 2);
  assert.match(r2.stderr, /batch 2 per process, global batch 4/);
  await train(one, ["model.norm=group", "train.batchSize=4"]);
  const diff = maxAbsDiff(join(one, "last.safetensors"), join(two, "last.safetensors"));
  assert.ok(diff <= 1e-5, `max abs diff ${diff}`);
  const [v1, v2] = [valScores(one), valScores(two)] as Array<Array<{ val: { mean_iou: number; overall_acc: number } }>>;
  assert.equal(v2.length, 1);
  assert.ok(Math.abs(v1[0].val.overall_acc - v2[0].val.overall_acc) < 1e-9 && Math.abs(v1[0].val.mean_iou - v2[0].val.mean_iou) < 1e-9,
    "validation sharded over 2 ranks, counts summed: the 1-process scores");

  // Stop at 2, resume to 4 on 2 processes: bit for bit the uninterrupted run.
  const resumed = tmp("gn-resume");
  await train(resumed, ["model.norm=group", "train.iterations=2"], 2);
  const r = await train(resumed, ["model.norm=group", "--resume", resumed], 2);
  assert.match(r.stderr, /resumed from .* at iteration 2/);
  assert.equal(maxAbsDiff(join(two, "last.safetensors"), join(resumed, "last.safetensors")), 0);
  // The 2-process checkpoint at 2 resumed by 1 process with the same global batch.
  const single = tmp("gn-1proc");
  const r1 = await train(single, ["model.norm=group", "train.batchSize=4", "--resume", join(resumed, "checkpoints", "iter_000002.json")]);
  assert.match(r1.stderr, /resuming a run of 2 process\(es\) on 1: global batch 4 -> 4/);
  const d1 = maxAbsDiff(join(two, "last.safetensors"), join(single, "last.safetensors"));
  assert.ok(d1 <= 1e-5, `1-process resume: max abs diff ${d1}`);
});

test("SyncBatchNorm: 2 processes equal 1 process with the global batch; plain per-process BatchNorm does not", { skip }, async () => {
  const sync = tmp("sbn2"), one = tmp("sbn1"), plain = tmp("bn2");
  const r = await train(sync, ["model.norm=batch", "distributed.syncBatchNorm=true"], 2);
  assert.match(r.stderr, /SyncBatchNorm layers/);
  await train(one, ["model.norm=batch", "distributed.syncBatchNorm=true", "train.batchSize=4"]);
  const diff = maxAbsDiff(join(one, "last.safetensors"), join(sync, "last.safetensors"));
  assert.ok(diff <= 1e-5, `SyncBatchNorm: max abs diff ${diff}`);
  await train(plain, ["model.norm=batch"], 2);
  const apart = maxAbsDiff(join(one, "last.safetensors"), join(plain, "last.safetensors"));
  assert.ok(apart > 1e-3, `per-process BatchNorm statistics should differ from the global batch's (diff ${apart})`);
});

test("a killed rank makes the other stop within the timeout, naming it; checkpoints stay whole", { skip }, async () => {
  const out = tmp("kill");
  const port = await freePort();
  const env = (rank: number): NodeJS.ProcessEnv => ({ MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), RANK: String(rank), WORLD_SIZE: "2",
    LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: "2", CARDIOSEG_THREADS: "1" });
  const args = ["--out", out, ...COMMON, "train.iterations=100000", "train.valEvery=100000", "distributed.timeout=60s"];
  const victim = run(args, env(1));
  let killed = false;
  const survivor = run(args, env(0), (text) => {
    if (!killed && /iter 5\//.test(text)) { killed = true; process.kill(victim.pid, "SIGKILL"); }
  });
  const [s] = await Promise.all([survivor.done, victim.done]);
  assert.ok(killed, `training never reached iteration 5:\n${s.stderr}`);
  assert.notEqual(s.code, 0);
  assert.ok(s.seconds < 60 + 20, `rank 0 took ${s.seconds} s to stop`);
  assert.match(s.stderr, /rank 0: .* failed: .*\n\s+rank 1 \(process \d+ on this machine\) has exited/);
  const files = [...readdirSync(out), ...readdirSync(join(out, "checkpoints"))];
  assert.ok(!files.some((f) => f.endsWith(".tmp")), `temporary files left: ${files.join(", ")}`);
  const last = JSON.parse(readFileSync(join(out, "last.json"), "utf8")) as { iter: number; weights: string; worldSize: number };
  assert.equal(last.worldSize, 2);
  loadSafetensors(join(out, last.weights)).tensors.forEach((t) => t.dispose());
});
