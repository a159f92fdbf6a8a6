// launch.ts owns `cardioseg train --nproc N`: like `torchrun --standalone --nproc-per-node N`, it
// starts N worker processes of the same command on this machine with torchrun's environment
// (MASTER_ADDR=127.0.0.1, a free MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) and
// CARDIOSEG_THREADS = cores / N unless set, then supervises them:
// - rank 0's output passes through; the others' lines are prefixed "[rank r]";
// - SIGINT/SIGTERM are forwarded once to every worker (each has its own process group, so a
//   terminal's Ctrl-C is not delivered twice); a worker checkpoints and stops on the first, as a
//   single-process run does;
// - when a worker fails, the others stop by themselves at their next collective (naming it); any
//   still running after a grace period get SIGTERM, then SIGKILL; the launcher exits with the first
//   failure's status and names the rank;
// - workers watch the launcher (CARDIOSEG_LAUNCHER_PID): if it dies, they checkpoint and stop.
// No libtorch here: the launcher only spawns and waits.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";

export interface LaunchOptions {
  nproc: number;
  /** The worker command line after `node`: the CLI script and its arguments (without --nproc). */
  args: string[];
  /** Seconds the others get to stop by themselves after a worker failed (default 60). */
  graceS?: number;
  log?: (line: string) => void;
}

/** A port free on 127.0.0.1 right now (as torchrun's standalone mode picks one). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** argv without `--nproc N` / `--nproc=N`. */
export function stripNproc(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--nproc") { i++; continue; }
    if (argv[i].startsWith("--nproc=")) continue;
    out.push(argv[i]);
  }
  return out;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function pipeWithPrefix(stream: NodeJS.ReadableStream | null, out: NodeJS.WritableStream, prefix: string): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => out.write(`${prefix}${line}\n`));
}

interface Worker { rank: number; child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

/** Starts the workers and waits for them; resolves to the launcher's exit status. */
export async function launchLocalWorkers(o: LaunchOptions): Promise<number> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = o.nproc;
  const port = await freePort();
  const threads = process.env.CARDIOSEG_THREADS || String(Math.max(1, Math.floor(availableParallelism() / n)));
  log(`cardioseg train --nproc ${n}: ${n} workers on 127.0.0.1:${port}, ${threads} thread(s) each`);
  const workers: Worker[] = [];
  for (let rank = 0; rank < n; rank++) {
    const env = {
      ...process.env, MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), RANK: String(rank), WORLD_SIZE: String(n),
      LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(n), CARDIOSEG_THREADS: threads, CARDIOSEG_LAUNCHER_PID: String(process.pid),
      TORCHELASTIC_USE_AGENT_STORE: undefined,
    };
    const child = spawn(process.execPath, o.args, { env, detached: true, stdio: rank === 0 ? "inherit" : ["ignore", "pipe", "pipe"] });
    if (rank > 0) {
      pipeWithPrefix(child.stdout, process.stdout, `[rank ${rank}] `);
      pipeWithPrefix(child.stderr, process.stderr, `[rank ${rank}] `);
    }
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
      child.on("error", (err) => { log(`rank ${rank}: could not start (${err.message})`); resolve({ code: 1, signal: null }); });
    });
    workers.push({ rank, child, done });
  }
  const forward = (sig: NodeJS.Signals): void => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(sig);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  let firstFailure: { rank: number; status: number } | null = null;
  let reaper: NodeJS.Timeout | null = null;
  try {
    await Promise.all(workers.map(async (w) => {
      const { code, signal } = await w.done;
      if (code === 0) return;
      log(`cardioseg train --nproc: rank ${w.rank} (pid ${w.child.pid}) ${describeExit(code, signal)}`);
      if (firstFailure) return;
      firstFailure = { rank: w.rank, status: code ?? 1 };
      reaper = stopStragglers(workers, (o.graceS ?? 60) * 1000, log);
    }));
  } finally {
    if (reaper) clearTimeout(reaper);
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
  }
  const failed = firstFailure as { rank: number; status: number } | null;
  if (failed) log(`cardioseg train --nproc: stopped because rank ${failed.rank} failed`);
  return failed ? failed.status || 1 : 0;
}

/** After `graceMs`, SIGTERM the workers still running; 10 s later, SIGKILL. */
function stopStragglers(workers: Worker[], graceMs: number, log: (l: string) => void): NodeJS.Timeout {
  const running = (): Worker[] => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  const t = setTimeout(() => {
    for (const w of running()) { log(`cardioseg train --nproc: rank ${w.rank} still running; sending SIGTERM`); w.child.kill("SIGTERM"); }
    setTimeout(() => { for (const w of running()) w.child.kill("SIGKILL"); }, 10_000).unref();
  }, graceMs);
  t.unref();
  return t;
}

/**
 * In a worker started by the launcher: when the launcher dies (its pid is no longer our parent),
 * send ourselves SIGTERM, which the trainer turns into a checkpoint and a clean stop.
 */
export function watchLauncher(): void {
  const pid = Number(process.env.CARDIOSEG_LAUNCHER_PID);
  if (!Number.isInteger(pid) || pid <= 0 || process.ppid !== pid) return;
  const timer = setInterval(() => {
    if (process.ppid !== pid) {
      clearInterval(timer);
      process.kill(process.pid, "SIGTERM");
    }
  }, 1000);
  timer.unref();
}
