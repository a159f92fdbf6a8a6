// progress.ts owns what the user sees while training: a cli-progress bar (iteration, loss, lr, it/s,
// ETA) when stderr is a terminal, plain log lines every logEvery iterations otherwise. A time-budget
// run shows the clock instead of an iteration total: elapsed of budget, and the time left.
import cliProgress from "cli-progress";

export type ProgressMode = "auto" | "bar" | "log" | "silent";

export interface ProgressUpdate {
  iter: number; loss: number; lr: number; itPerS: number;
  /** Time-budget runs: training seconds so far (all sessions). */
  elapsedS?: number;
}

/** How long the run is: a number of iterations, or a wall-clock budget in seconds. */
export type RunLength = { totalIters: number; budgetS?: null } | { totalIters?: null; budgetS: number };

export interface ProgressReporter {
  update(u: ProgressUpdate): void;
  message(line: string): void;
  stop(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

function fmtLr(lr: number): string {
  return lr.toExponential(2);
}

export function makeProgress(mode: ProgressMode, length: RunLength, start: number, logEvery: number,
  log: (line: string) => void): ProgressReporter {
  const useBar = mode === "bar" || (mode === "auto" && process.stderr.isTTY === true);
  if (mode === "silent") return { update: () => undefined, message: () => undefined, stop: () => undefined };
  if (typeof length.budgetS === "number") return timeReporter(useBar, length.budgetS, logEvery, log);
  const total = length.totalIters as number;
  if (useBar) return barReporter(total, start);
  return {
    update(u) {
      if (u.iter % logEvery !== 0 && u.iter !== total) return;
      const eta = u.itPerS > 0 ? (total - u.iter) / u.itPerS : NaN;
      log(`iter ${u.iter}/${total}  loss ${u.loss.toFixed(4)}  lr ${fmtLr(u.lr)}  ${u.itPerS.toFixed(2)} it/s  ETA ${formatDuration(eta)}`);
    },
    message: log,
    stop: () => undefined,
  };
}

function barReporter(total: number, start: number): ProgressReporter {
  const bar = new cliProgress.SingleBar({
    format: "train |{bar}| {value}/{total} | loss {loss} | lr {lr} | {speed} it/s | ETA {etaText}",
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let value = start;
  let payload: Record<string, string> = { loss: "-", lr: "-", speed: "-", etaText: "?" };
  bar.start(total, start, payload);
  return {
    update(u) {
      const eta = u.itPerS > 0 ? (total - u.iter) / u.itPerS : NaN;
      value = u.iter;
      payload = { loss: u.loss.toFixed(4), lr: fmtLr(u.lr), speed: u.itPerS.toFixed(2), etaText: formatDuration(eta) };
      bar.update(value, payload);
    },
    message(line) {
      // Print between bar redraws so the line is not overwritten.
      bar.stop();
      process.stderr.write(`${line}\n`);
      bar.start(total, value, payload);
    },
    stop: () => bar.stop(),
  };
}

/** Time-budget runs: the position is elapsed / budget; the bar counts seconds. */
function timeReporter(useBar: boolean, budgetS: number, logEvery: number, log: (line: string) => void): ProgressReporter {
  const clock = (u: ProgressUpdate): { pct: string; left: string; of: string } => {
    const e = u.elapsedS ?? 0;
    return { pct: `${Math.min(100, (100 * e) / budgetS).toFixed(0)}%`, left: formatDuration(Math.max(0, budgetS - e)), of: `${formatDuration(e)}/${formatDuration(budgetS)}` };
  };
  if (!useBar) {
    return {
      update(u) {
        if (u.iter % logEvery !== 0) return;
        const c = clock(u);
        log(`iter ${u.iter}  loss ${u.loss.toFixed(4)}  lr ${fmtLr(u.lr)}  ${u.itPerS.toFixed(2)} it/s  time ${c.of} (${c.pct})  left ${c.left}`);
      },
      message: log,
      stop: () => undefined,
    };
  }
  const total = Math.max(1, Math.round(budgetS));
  const bar = new cliProgress.SingleBar({
    format: "train |{bar}| {clock} | iter {iter} | loss {loss} | lr {lr} | {speed} it/s | left {left}",
    stream: process.stderr,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let value = 0;
  let payload: Record<string, string> = { clock: "-", iter: "-", loss: "-", lr: "-", speed: "-", left: "?" };
  bar.start(total, 0, payload);
  return {
    update(u) {
      const c = clock(u);
      value = Math.min(total, Math.round(u.elapsedS ?? 0));
      payload = { clock: c.of, iter: String(u.iter), loss: u.loss.toFixed(4), lr: fmtLr(u.lr), speed: u.itPerS.toFixed(2), left: c.left };
      bar.update(value, payload);
    },
    message(line) {
      bar.stop();
      process.stderr.write(`${line}\n`);
      bar.start(total, value, payload);
    },
    stop: () => bar.stop(),
  };
}
