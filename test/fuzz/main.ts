// main.ts — `npm run fuzz [-- --seconds N] [--targets a,b] [--seed S] [--runs R] [--report FILE] [--no-save]`.
// Runs batches of generated hostile inputs (inputs.ts) through the readers and commands (targets.ts),
// each batch in a child process with a heap limit, a per-case time limit and a watch on its RSS.
// Failing inputs — crash, hang, memory, wrong answer, unnamed error — are minimised (fast-check's
// shrinking in the worker; for hangs and memory, removal and truncation of files replayed in fresh
// workers) and saved under test/fixtures/fuzz/, which test/fuzz/replay.test.ts replays in `npm test`.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO } from "../paths.js";
import { isFailure, type CaseReport, type Outcome } from "./run.js";
import { TARGETS, decodeCase, encodeCase } from "./targets.js";
import type { Job, WorkerMessage } from "./worker.js";

type Files = ReturnType<typeof encodeCase>;

export const FIXTURES = join(REPO, "test", "fixtures", "fuzz");
const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));

export interface CampaignOptions {
  /** Stop starting batches after this many seconds (default: none; then `batches` rounds). */
  seconds?: number;
  /** Rounds over all targets when `seconds` is not given. */
  batches?: number;
  runs: number;
  seed: number;
  targets: readonly string[];
  /** Where failing inputs are saved (undefined: not saved). */
  saveTo?: string;
  caseTimeoutMs?: number;
  maxRssMiB?: number;
  heapMiB?: number;
  log?: (line: string) => void;
}

export interface TargetStats {
  runs: number;
  outcomes: Record<Outcome, number>;
  slowestMs: number;
  /** Largest peak-RSS rise of one case, MiB, and the largest rise per legitimate byte among the big cases. */
  maxPeakRiseMiB: number;
  maxPeakRatio: number;
  /** Cases holding at least BIG_CASE bytes legitimately (where the 4x memory target is measurable). */
  bigCases: number;
  /** Largest RSS of a worker process seen from outside, MiB. */
  maxWorkerRssMiB: number;
}

export interface SavedFailure { target: string; outcome: Outcome; message: string; file: string | null }

export interface CampaignResult {
  seconds: number;
  stats: Record<string, TargetStats>;
  failures: SavedFailure[];
}

const OUTCOMES: Outcome[] = ["ok", "error", "wrong", "crash", "unnamed", "memory", "hang"];
/** Legitimate size from which a case's peak memory is compared with it (smaller ones drown in noise). */
const BIG_CASE = 16 << 20;

function emptyStats(): TargetStats {
  return { runs: 0, outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>, slowestMs: 0, maxPeakRiseMiB: 0, maxPeakRatio: 0, bigCases: 0, maxWorkerRssMiB: 0 };
}

interface WorkerRun {
  reports: { report: CaseReport; shrinking: boolean }[];
  /** A failure found and shrunk inside the worker. */
  failure?: { outcome: Outcome; message: string; files: Files };
  /** The worker was killed or died during the case `current`. */
  died?: { outcome: Outcome; message: string; files: Files | null };
  maxRssMiB: number;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs one job in a fresh worker under the time and memory ceilings. */
function runWorker(job: Job, o: CampaignOptions): Promise<WorkerRun> {
  const timeout = o.caseTimeoutMs ?? 20_000, maxRss = o.maxRssMiB ?? 3072;
  const child = spawn(process.execPath, ["--expose-gc", `--max-old-space-size=${o.heapMiB ?? 2048}`, WORKER], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  const run: WorkerRun = { reports: [], maxRssMiB: 0 };
  let current: { files: Files | null; running: boolean } = { files: null, running: false };
  let root: string | null = null, stderr = "", killedFor: Outcome | null = null, killMessage = "";
  let timer: NodeJS.Timeout | undefined;
  const kill = (why: Outcome, message: string): void => {
    if (killedFor) return;
    killedFor = why;
    killMessage = message;
    child.kill("SIGKILL");
  };
  const poll = setInterval(() => {
    const rss = rssMiB(child.pid ?? 0);
    run.maxRssMiB = Math.max(run.maxRssMiB, rss);
    if (rss > maxRss) kill("memory", `worker RSS ${rss.toFixed(0)} MiB exceeded the ${maxRss} MiB ceiling`);
  }, 50);
  child.stderr?.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  child.on("message", (m: WorkerMessage) => {
    if (m.type === "root") root = m.path;
    else if (m.type === "start") {
      current = { files: m.files, running: true };
      clearTimeout(timer);
      timer = setTimeout(() => kill("hang", `no result after ${timeout / 1000} s`), timeout);
    } else if (m.type === "result") {
      current.running = false;
      clearTimeout(timer);
      run.reports.push({ report: m.report, shrinking: m.shrinking });
    } else if (m.type === "failure") run.failure = { outcome: m.outcome, message: m.message, files: m.files };
  });
  child.send(job);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      if (root) rmSync(root, { recursive: true, force: true });
      if (killedFor) run.died = { outcome: killedFor, message: killMessage, files: current.files };
      else if (current.running || code !== 0) {
        const why = /heap out of memory|Allocation failed/.test(stderr) ? "memory" : "crash";
        run.died = { outcome: why, message: `worker died (${signal ?? `exit ${code}`}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`, files: current.files };
      }
      resolve(run);
    });
  });
}

/** Hangs and memory blow-ups cannot shrink in-process: drop or halve files while the failure stays. */
async function minimiseByReplay(target: string, files: Files, outcome: Outcome, o: CampaignOptions): Promise<Files> {
  let best = files;
  const same = async (candidate: Files): Promise<boolean> => {
    const r = await runWorker({ kind: "replay", target, files: candidate }, { ...o, caseTimeoutMs: Math.min(o.caseTimeoutMs ?? 20_000, 20_000) });
    return (r.died?.outcome ?? r.reports[0]?.report.outcome) === outcome;
  };
  for (let round = 0; round < 2; round++) {
    for (const key of Object.keys(best)) {
      const without = { ...best };
      delete without[key];
      if (Object.keys(without).length > 0 && await same(without)) { best = without; continue; }
      const v = best[key];
      const bytes = decodeCase({ [key]: v })[key];
      if (bytes instanceof Uint8Array && bytes.length > 64) {
        const cut = { ...best, ...encodeCase({ [key]: bytes.subarray(0, bytes.length >> 1) }) };
        if (await same(cut)) best = cut;
      }
    }
  }
  return best;
}

function save(dir: string, target: string, outcome: Outcome, message: string, files: Files, seed: number): string {
  mkdirSync(dir, { recursive: true });
  const body = JSON.stringify({ target, outcome, message, seed, files }, null, 1);
  const file = join(dir, `${target}-${outcome}-${createHash("sha256").update(JSON.stringify(files)).digest("hex").slice(0, 10)}.json`);
  writeFileSync(file, `${body}\n`);
  return file;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const log = o.log ?? (() => undefined);
  const started = performance.now();
  const stats: Record<string, TargetStats> = Object.fromEntries(o.targets.map((t) => [t, emptyStats()]));
  const failures: SavedFailure[] = [];
  const timeLeft = (): boolean => (o.seconds === undefined ? true : (performance.now() - started) / 1000 < o.seconds);
  for (let round = 0; o.seconds !== undefined ? timeLeft() : round < (o.batches ?? 1); round++) {
    for (const target of o.targets) {
      if (!timeLeft()) break;
      const seed = o.seed + round * 7919 + o.targets.indexOf(target);
      const run = await runWorker({ kind: "batch", target, seed, runs: o.runs }, o);
      const s = stats[target];
      s.maxWorkerRssMiB = Math.max(s.maxWorkerRssMiB, run.maxRssMiB);
      for (const { report, shrinking } of run.reports) {
        if (shrinking) continue;
        s.runs++;
        s.outcomes[report.outcome]++;
        s.slowestMs = Math.max(s.slowestMs, report.ms);
        s.maxPeakRiseMiB = Math.max(s.maxPeakRiseMiB, report.peakRise / 2 ** 20);
        // The ratio means something only for inputs big enough to stand out of the runtime's noise.
        if (report.legitBytes >= BIG_CASE) {
          s.bigCases++;
          s.maxPeakRatio = Math.max(s.maxPeakRatio, report.peakRise / report.legitBytes);
        }
      }
      let found: { outcome: Outcome; message: string; files: Files | null } | undefined = run.failure;
      if (run.died) {
        s.runs++;
        s.outcomes[run.died.outcome]++;
        found = run.died;
        if (run.died.files) found = { ...run.died, files: await minimiseByReplay(target, run.died.files, run.died.outcome, o) };
      }
      if (found && isFailure(found.outcome)) {
        const file = o.saveTo && found.files ? save(o.saveTo, target, found.outcome, found.message, found.files, seed) : null;
        failures.push({ target, outcome: found.outcome, message: found.message, file });
        log(`FAILURE ${target} (${found.outcome}, seed ${seed}): ${found.message.slice(0, 300)}${file ? ` -> ${file}` : ""}`);
      }
      log(`${target} seed ${seed}: ${run.reports.filter((r) => !r.shrinking).length} cases, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  return { seconds: (performance.now() - started) / 1000, stats, failures };
}

export function formatStats(r: CampaignResult): string {
  const head = ["target", "runs", ...OUTCOMES, "slowest ms", "max peak rise MiB", "cases >=16MiB", "their max rise/legit", "max worker RSS MiB"];
  const rows = Object.entries(r.stats).map(([t, s]) => [t, s.runs, ...OUTCOMES.map((o) => s.outcomes[o]), s.slowestMs.toFixed(0), s.maxPeakRiseMiB.toFixed(1), s.bigCases, s.maxPeakRatio.toFixed(2), s.maxWorkerRssMiB.toFixed(0)].map(String));
  const widths = head.map((h, c) => rows.reduce((w, row) => Math.max(w, row[c].length), h.length));
  const line = (cells: string[]): string => cells.map((x, c) => x.padStart(widths[c])).join("  ");
  return [line(head), ...rows.map(line), `${r.seconds.toFixed(0)} s, ${r.failures.length} failure(s)`].join("\n");
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const seconds = Number(argValue("--seconds") ?? 60);
  const seed = Number(argValue("--seed") ?? Date.now() % 1_000_000_007);
  const targets = (argValue("--targets") ?? TARGETS.map((t) => t.name).join(",")).split(",");
  const runs = Number(argValue("--runs") ?? 100);
  const saveTo = process.argv.includes("--no-save") ? undefined : FIXTURES;
  console.log(`fuzz: ${targets.join(", ")} for ${seconds} s, ${runs} cases per worker, seed ${seed}`);
  const result = await runCampaign({ seconds, seed, targets, runs, saveTo, log: (l) => console.log(l) });
  console.log(formatStats(result));
  const report = argValue("--report");
  if (report) writeFileSync(report, `${JSON.stringify({ seed, ...result }, null, 1)}\n`);
  process.exitCode = result.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exitCode = 2;
  });
}
