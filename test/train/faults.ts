// test/train/faults.ts — fault injection around `cardioseg train` (a tiny model, configs/test-tiny.yaml):
// kill -9 at random moments with resume after each (killCampaign), and a disk that fills up
// (runWithFullDisk, through enospc-preload.ts). faults.test.ts runs a few; `npm run faults` runs 20.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO, rng } from "../paths.js";
import { resolveResumePath, verifyCheckpoint } from "../../src/train/checkpoint.js";

const CLI = join(REPO, "dist", "src", "cli", "main.js");
const CONFIG = join(REPO, "configs", "test-tiny.yaml");

export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface TrainProcess {
  /** Resolves when the process has exited. */
  done: Promise<RunOutcome>;
  /** Resolves when the output has matched `re` (never, if it exits first). */
  waitFor(re: RegExp): Promise<void>;
  kill(): void;
}

/** Starts `cardioseg train` on the tiny config into `runDir` (resuming when asked). */
export function startTraining(runDir: string, o: { resume?: boolean; iterations: number; env?: NodeJS.ProcessEnv; execArgv?: string[] }): TrainProcess {
  const args = [...(o.execArgv ?? []), CLI, "train", "--config", CONFIG, "--out", runDir, "--progress", "log"];
  if (o.resume) args.push("--resume", runDir);
  args.push(`train.iterations=${o.iterations}`, "train.checkpointEvery=1", "train.valEvery=4", "train.keepLast=2");
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].re.test(output)) waiters.splice(i, 1)[0].resolve();
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const done = new Promise<RunOutcome>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, output })));
  return {
    done,
    waitFor: (re) => new Promise((resolve) => {
      if (re.test(output)) resolve();
      else waiters.push({ re, resolve });
    }),
    kill: () => { child.kill("SIGKILL"); },
  };
}

/** Sidecars (checkpoint .json files) of a run folder. */
export function sidecars(runDir: string): string[] {
  const out: string[] = [];
  for (const dir of [runDir, join(runDir, "checkpoints")]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith(".json") && f !== "config.json" && !f.startsWith(".")) out.push(join(dir, f));
  }
  return out;
}

/** Every checkpoint present verifies (complete, consistent, no flipped byte); returns the problems. */
export function checkpointProblems(runDir: string): string[] {
  const problems: string[] = [];
  for (const s of sidecars(runDir)) {
    try {
      verifyCheckpoint(s);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/** Temp files of atomic writes left in the run folder. */
export function tempFiles(runDir: string): string[] {
  const out: string[] = [];
  for (const dir of [runDir, join(runDir, "checkpoints")]) {
    if (existsSync(dir)) for (const f of readdirSync(dir)) if (f.endsWith(".tmp")) out.push(join(dir, f));
  }
  return out;
}

/** The iteration `--resume runDir` continues from (0 when nothing verifies). */
function resumedIter(runDir: string): number {
  try {
    return (JSON.parse(readFileSync(resolveResumePath(runDir), "utf8")) as { iter: number }).iter;
  } catch {
    return 0;
  }
}

export interface KillRecord {
  /** The last iteration the killed process had logged (0: killed before training started). */
  loggedIter: number;
  /** Sidecar the next resume would pick, or null when there was none yet. */
  resumeFrom: string | null;
  problems: string[];
}

export interface CampaignResult {
  kills: KillRecord[];
  final: RunOutcome;
  /** Iterations of the training lines of metrics.jsonl at the end, in file order. */
  loggedIters: number[];
}

/**
 * Kills a training run `kills` times at random moments (a quarter of them during start-up, the
 * rest 0-300 ms after one of the next 1-4 iterations is logged, which lands in steps, validation
 * and checkpoint writes alike), resuming after each kill; then lets it finish. After every kill
 * each checkpoint present must verify and `--resume RUNDIR` must find one once any exists.
 */
export async function killCampaign(runDir: string, o: { kills: number; seed: number; iterations: number; log?: (l: string) => void }): Promise<CampaignResult> {
  const random = rng(o.seed);
  const kills: KillRecord[] = [];
  for (let k = 0; k < o.kills; k++) {
    const resume = sidecars(runDir).length > 0;
    const from = resume ? resumedIter(runDir) : 0;
    const p = startTraining(runDir, { resume, iterations: o.iterations });
    const early = random() < 0.25;
    const delay = early ? 200 + random() * 1500 : random() * 300;
    const target = Math.min(o.iterations, from + 1 + Math.floor(random() * 4));
    let finished = false;
    const exited = p.done.then(() => { finished = true; });
    if (!early) await Promise.race([p.waitFor(new RegExp(`iter ${target}/`)), exited]);
    await Promise.race([new Promise((r) => setTimeout(r, delay)), exited]);
    p.kill();
    const outcome = await p.done;
    const iters = [...outcome.output.matchAll(/iter (\d+)\/\d+/g)].map((m) => Number(m[1]));
    let resumeFrom: string | null = null;
    const problems = checkpointProblems(runDir);
    if (sidecars(runDir).length > 0) {
      try {
        resumeFrom = resolveResumePath(runDir);
      } catch (err) {
        problems.push(`--resume ${runDir}: ${(err as Error).message}`);
      }
    }
    kills.push({ loggedIter: iters.length ? iters[iters.length - 1] : 0, resumeFrom, problems });
    o.log?.(`kill ${k + 1}/${o.kills}: ${finished && outcome.code === 0 ? "process had already finished" : `at logged iteration ${kills[k].loggedIter}`}, resume from ${resumeFrom ?? "(none yet)"}${problems.length ? `; PROBLEMS: ${problems.join("; ")}` : ""}`);
  }
  const final = await startTraining(runDir, { resume: sidecars(runDir).length > 0, iterations: o.iterations }).done;
  const log = existsSync(join(runDir, "metrics.jsonl")) ? readFileSync(join(runDir, "metrics.jsonl"), "utf8") : "";
  const loggedIters = log.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { iter: number; loss?: number })
    .filter((l) => l.loss !== undefined).map((l) => l.iter);
  return { kills, final, loggedIters };
}
