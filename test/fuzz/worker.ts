// worker.ts — one fuzzing batch in a child process (started by main.ts with a heap limit and
// --expose-gc): generates `runs` cases of one target from `seed` with fast-check, runs each
// (run.ts), and reports every case to the parent before and after it runs, so that a case which
// hangs or exhausts memory is known to the parent that kills this process. A failing case is
// shrunk by fast-check and sent back minimised. Also replays one given case (for the parent's
// minimisation of hangs and memory blow-ups).
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isFailure, runCase, type CaseReport, type Outcome } from "./run.js";
import { decodeCase, encodeCase, targetNamed } from "./targets.js";
import type { FuzzCase } from "./inputs.js";

export type Job =
  | { kind: "batch"; target: string; seed: number; runs: number }
  | { kind: "replay"; target: string; files: ReturnType<typeof encodeCase> };

export type WorkerMessage =
  | { type: "start"; index: number; files: ReturnType<typeof encodeCase> | null; shrinking: boolean }
  | { type: "result"; index: number; report: CaseReport; shrinking: boolean }
  | { type: "failure"; outcome: Outcome; message: string; files: ReturnType<typeof encodeCase>; original: ReturnType<typeof encodeCase> }
  | { type: "root"; path: string }
  | { type: "done" };

/** Cases up to this size travel to the parent before they run (so a hang can be saved). */
const SEND_LIMIT = 8 << 20;

function send(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) { resolve(); return; }
    process.send(m, () => resolve());
  });
}

function size(c: FuzzCase): number {
  return Object.values(c).reduce((a, v) => a + (v instanceof Uint8Array ? v.length : 0), 0);
}

async function batch(job: Extract<Job, { kind: "batch" }>, root: string): Promise<void> {
  const target = targetNamed(job.target);
  let index = 0, shrinking = false;
  let first: { c: FuzzCase; outcome: Outcome; message: string } | null = null;
  let last: { outcome: Outcome; message: string } = { outcome: "ok", message: "" };
  // fast-check runs the property on generated cases, then (after a failure) on shrunk ones; the
  // pre-run message is awaited so the parent knows the case even if this process dies in it.
  const property = fc.asyncProperty(target.arbitrary, async (c) => {
    const i = index++;
    await send({ type: "start", index: i, files: size(c) <= SEND_LIMIT ? encodeCase(c) : null, shrinking });
    const report = runCase(target, c, root);
    await send({ type: "result", index: i, report, shrinking });
    if (isFailure(report.outcome)) {
      if (!first) first = { c, outcome: report.outcome, message: report.message };
      shrinking = true;
      last = { outcome: report.outcome, message: report.message };
      return false;
    }
    return true;
  });
  const result = await fc.check(property, { seed: job.seed, numRuns: job.runs, endOnFailure: false, maxSkipsPerRun: 0 });
  const f = first as { c: FuzzCase; outcome: Outcome; message: string } | null;
  if (result.failed && f) {
    const shrunk = (result.counterexample?.[0] as FuzzCase | undefined) ?? f.c;
    await send({ type: "failure", outcome: last.outcome, message: last.message, files: encodeCase(shrunk), original: encodeCase(f.c) });
  }
}

async function replay(job: Extract<Job, { kind: "replay" }>, root: string): Promise<void> {
  const target = targetNamed(job.target);
  await send({ type: "start", index: 0, files: null, shrinking: false });
  const report = runCase(target, decodeCase(job.files), root);
  await send({ type: "result", index: 0, report, shrinking: false });
}

process.once("message", (job: Job) => {
  const root = mkdtempSync(join(tmpdir(), "cardioseg-fuzz-"));
  const work = send({ type: "root", path: root }).then(() => (job.kind === "batch" ? batch(job, root) : replay(job, root)));
  work.then(
    () => send({ type: "done" }),
    (err: unknown) => { process.stderr.write(`fuzz worker: ${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 2; },
  ).finally(() => {
    rmSync(root, { recursive: true, force: true });
    process.disconnect?.();
  });
});
