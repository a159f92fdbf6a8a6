// failure.ts owns turning a failed collective into a message that names the rank at fault. Gloo
// reports only a socket ("Connection closed by peer [10.0.0.2]:41234") or a timeout, and c10d's
// monitoredBarrier cannot run once a peer's connection is broken, so the ranks compare notes in the
// job's c10d store: each rank registers its host and pid at start-up; a rank whose step fails
// writes its own error under failure/<rank>, then waits (up to a grace period) for the others'.
// A peer that wrote one is named with its error; a peer on this machine whose process is gone is
// named as exited; any other silent peer is named as exited, killed or hung. When rank 0 hosts the
// store and is gone, the store itself is unreachable, which names rank 0.
import { hostname } from "node:os";
import type { Store } from "../tensor/index.js";

export class DistributedError extends Error {}

export interface PeerRecord { host: string; pid: number }

export interface FailureContext {
  rank: number;
  worldSize: number;
  store: Store;
  /** "MASTER_ADDR:MASTER_PORT", and whether rank 0 hosts the store there (false under torchrun's agent store). */
  storeAddress: string;
  storeOnRank0: boolean;
  graceMs: number;
}

const FAILURE = (r: number): string => `failure/${r}`;
const PEER = (r: number): string => `peer/${r}`;
const DONE = (r: number): string => `failure-read/${r}`;

export function registerPeer(store: Store, rank: number): void {
  store.set(PEER(rank), JSON.stringify({ host: hostname(), pid: process.pid } satisfies PeerRecord));
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim();
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

type PeerState = { kind: "reported"; message: string } | { kind: "exited"; pid: number } | { kind: "silent"; host: string };

function peerState(ctx: FailureContext, r: number, peers: Map<number, PeerRecord>): PeerState | null {
  if (ctx.store.check([FAILURE(r)])) return { kind: "reported", message: ctx.store.getString(FAILURE(r)) };
  let peer = peers.get(r);
  if (!peer && ctx.store.check([PEER(r)])) {
    peer = JSON.parse(ctx.store.getString(PEER(r))) as PeerRecord;
    peers.set(r, peer);
  }
  if (peer && peer.host === hostname() && processGone(peer.pid)) return { kind: "exited", pid: peer.pid };
  return null;
}

function describe(r: number, s: PeerState, graceS: number): string {
  if (s.kind === "reported") return `rank ${r} failed too: ${s.message}`;
  if (s.kind === "exited") return `rank ${r} (process ${s.pid} on this machine) has exited`;
  return `rank ${r}${s.host ? ` (on ${s.host})` : ""} did not report within ${graceS} s: it exited, was killed or is hung`;
}

/** Rank 0 hosts the store: it stays until the ranks that reported have read the others' reports. */
function lingerForReaders(ctx: FailureContext, readers: number[]): void {
  const deadline = Date.now() + ctx.graceMs;
  while (Date.now() < deadline && !readers.every((r) => ctx.store.check([DONE(r)]))) sleepMs(100);
}

/**
 * What this rank says when `what` failed with `err`: its own error, then each other rank's state.
 * Blocks up to ctx.graceMs waiting for the other ranks' reports.
 */
export function explainFailure(ctx: FailureContext, what: string, err: unknown): DistributedError {
  if (err instanceof DistributedError) return err;
  const own = `rank ${ctx.rank}: ${what} failed: ${errorText(err)}`;
  try {
    ctx.store.set(FAILURE(ctx.rank), `${what} failed: ${errorText(err)}`.slice(0, 2000));
    const peers = new Map<number, PeerRecord>();
    const states = new Map<number, PeerState>();
    const others = Array.from({ length: ctx.worldSize }, (_, r) => r).filter((r) => r !== ctx.rank);
    const deadline = Date.now() + ctx.graceMs;
    for (;;) {
      for (const r of others) {
        if (states.has(r)) continue;
        const s = peerState(ctx, r, peers);
        if (s) states.set(r, s);
      }
      if (states.size === others.length || Date.now() >= deadline) break;
      sleepMs(100);
    }
    ctx.store.set(DONE(ctx.rank), "1");
    if (ctx.rank === 0 && ctx.storeOnRank0) lingerForReaders(ctx, [...states].filter(([, s]) => s.kind === "reported").map(([r]) => r));
    const graceS = Math.round(ctx.graceMs / 1000);
    const lines = others.map((r) => describe(r, states.get(r) ?? { kind: "silent", host: peers.get(r)?.host ?? "" }, graceS));
    return new DistributedError(`${own}\n  ${lines.join("\n  ")}`);
  } catch (storeErr) {
    const host = ctx.storeOnRank0 ? "rank 0 (which hosts it) has stopped" : "torchrun's agent on the first node has stopped";
    return new DistributedError(`${own}\n  the job's store at ${ctx.storeAddress} is unreachable (${errorText(storeErr)}): ${host}`);
  }
}
