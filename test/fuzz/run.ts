// run.ts — running one case of one target and judging the outcome:
//   ok       the target returned and its oracle found nothing wrong
//   error    a clear refusal: an Error whose message names a file or folder of the case
//   wrong    the target returned a silently wrong answer (its oracle said so)
//   crash    anything else thrown: TypeError, RangeError (stack overflow), a non-Error value
//   unnamed  an Error whose message names no file
//   memory   the peak memory rose beyond 4x the legitimate size (+ a fixed allowance)
//   hang / memory (process level) are judged by the parent (main.ts), which kills the worker.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { materialise, type FuzzTarget } from "./targets.js";
import type { FuzzCase } from "./inputs.js";

export type Outcome = "ok" | "error" | "wrong" | "crash" | "unnamed" | "memory" | "hang";

export interface CaseReport {
  outcome: Outcome;
  message: string;
  ms: number;
  /** Rise of the process's peak RSS during the case, bytes (0 when it did not raise the peak). */
  peakRise: number;
  legitBytes: number;
}

/** Peak memory allowed for a case: 4x what it legitimately holds, plus the runtime's own noise. */
export const MEMORY_FACTOR = 4;
export const MEMORY_ALLOWANCE = 96 << 20;

const PLAIN_ERRORS = new Set(["Error", "IoError", "WriteError", "ScoreInputError"]);

export function classify(err: unknown, dir: string): { outcome: Outcome; message: string } {
  if (!(err instanceof Error)) return { outcome: "crash", message: `threw a non-Error: ${String(err).slice(0, 300)}` };
  const message = `${err.name}: ${err.message}`.slice(0, 2000);
  if (!PLAIN_ERRORS.has(err.name) && !(err.constructor?.name && PLAIN_ERRORS.has(err.constructor.name))) return { outcome: "crash", message };
  if (!err.message.includes(dir)) return { outcome: "unnamed", message };
  return { outcome: "error", message };
}

declare const gc: undefined | (() => void);

/**
 * Resets the kernel's peak-RSS mark of this process (Linux: "5" into /proc/self/clear_refs), so that
 * the peak read after a case is that case's own; false where that is not possible (then the
 * process-lifetime maximum is used, which only shows cases that raise it).
 */
function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return peakRss() !== undefined;
  } catch {
    return false;
  }
}

function peakRss(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs one case in a fresh folder under `root`; the folder is removed afterwards. */
export function runCase(target: FuzzTarget, c: FuzzCase, root: string): CaseReport {
  const dir = mkdtempSync(join(root, `${target.name}-`));
  try {
    materialise(dir, c);
    if (typeof gc === "function") gc();
    const before = process.memoryUsage().rss;
    const hwm = resetPeak();
    const peakBefore = hwm ? before : process.resourceUsage().maxRSS * 1024;
    const started = performance.now();
    let outcome: Outcome, message = "", legitBytes = 0;
    try {
      const r = target.run(dir);
      legitBytes = r.legitBytes;
      outcome = r.wrong.length > 0 ? "wrong" : "ok";
      message = r.wrong.join("; ");
    } catch (err) {
      ({ outcome, message } = classify(err, dir));
    }
    const ms = performance.now() - started;
    const peakAfter = (hwm ? peakRss() : undefined) ?? process.resourceUsage().maxRSS * 1024;
    const peakRise = peakAfter > peakBefore ? peakAfter - before : 0;
    if (outcome !== "crash" && peakRise > MEMORY_FACTOR * Math.max(legitBytes, 0) + MEMORY_ALLOWANCE) {
      message = `peak memory rose by ${(peakRise / 2 ** 20).toFixed(0)} MiB for ${(legitBytes / 2 ** 20).toFixed(1)} MiB of legitimate data (${outcome}: ${message})`;
      outcome = "memory";
    }
    return { outcome, message, ms, peakRise, legitBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Outcomes that are failures (the fuzzer saves them; the replay test refuses them). */
export function isFailure(o: Outcome): boolean {
  return o !== "ok" && o !== "error";
}
