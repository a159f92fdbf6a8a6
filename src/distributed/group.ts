// group.ts owns a process's membership of a distributed job: the c10d TCPStore rendezvous (rank 0
// hosts it, or torchrun's agent does), the process groups — `group` for the model's tensors (Gloo
// on CPU, NCCL on CUDA) and `control`, a CPU Gloo group for the small exchanges (the stop decision,
// loss values, validation counts) — blocking collectives on plain numbers, and clean destruction.
// Every wait goes through explain(): a failure becomes a DistributedError naming the rank at fault.
import {
  ProcessGroup, Store, c10dBackends, fromTypedArray, type DeviceLike, type ReduceOp, type Tensor, type Work,
} from "../tensor/index.js";
import type { DistEnv } from "./env.js";
import { DistributedError, explainFailure, registerPeer, type FailureContext } from "./failure.js";

export interface GroupOptions {
  /** The model's device: "cpu" → Gloo; "cuda…" → NCCL (when the addon has it). */
  device: DeviceLike;
  /** c10d timeout of the rendezvous and of every collective (torch's default: 30 minutes). */
  timeoutMs: number;
  /** Network interfaces for Gloo (default: GLOO_SOCKET_IFNAME, comma-separated). */
  glooInterfaces?: string[] | null;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

export class DistributedContext {
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly localWorldSize: number;
  readonly timeoutMs: number;
  private readonly failure: FailureContext;
  private destroyed = false;

  private constructor(readonly env: DistEnv, readonly store: Store, readonly group: ProcessGroup,
    readonly control: ProcessGroup, timeoutMs: number) {
    this.rank = env.rank;
    this.worldSize = env.worldSize;
    this.localRank = env.localRank;
    this.localWorldSize = env.localWorldSize;
    this.timeoutMs = timeoutMs;
    this.failure = {
      rank: env.rank, worldSize: env.worldSize, store, storeAddress: `${env.masterAddr}:${env.masterPort}`,
      storeOnRank0: env.agentStorePrefix === null, graceMs: Math.min(timeoutMs, 20_000),
    };
  }

  /** Rendezvous with the job's other processes (blocks until all have joined, or the timeout). */
  static init(env: DistEnv, o: GroupOptions): DistributedContext {
    const backends = c10dBackends();
    if (!backends.gloo) throw new Error("distributed training needs c10d's Gloo backend, which this addon lacks (Debian: apt-get install libgloo-dev, then node scripts/build-addon.mjs)");
    const cuda = o.device !== "cpu";
    if (cuda && !backends.nccl) throw new Error(`device ${o.device}: distributed training on CUDA needs NCCL, which this addon was built without (a CUDA build of libtorch with nccl.h at build time)`);
    const server = env.agentStorePrefix === null && env.rank === 0;
    let store: Store;
    // waitWorkers stays off: libtorch 1.13's server then sits out its whole timeout; Gloo's own
    // rendezvous below waits for every rank anyway.
    try {
      const root = Store.tcp({
        host: env.masterAddr, port: env.masterPort, isServer: server, worldSize: env.worldSize,
        timeoutMs: o.timeoutMs, waitWorkers: false, multiTenant: true,
      });
      store = (env.agentStorePrefix ? root.prefixed(env.agentStorePrefix) : root).prefixed("cardioseg");
    } catch (err) {
      const role = server ? "host the job's store on" : "reach the job's store at";
      throw new Error(`rank ${env.rank}: could not ${role} ${env.masterAddr}:${env.masterPort} within ${o.timeoutMs / 1000} s `
        + `(${(err as Error).message}); check MASTER_ADDR/MASTER_PORT and that every rank was started`);
    }
    registerPeer(store, env.rank);
    const ifname = o.glooInterfaces ?? process.env.GLOO_SOCKET_IFNAME?.split(",").filter((s) => s !== "") ?? null;
    const gloo = { interfaces: ifname && ifname.length > 0 ? ifname : null, hostname: isLoopback(env.masterAddr) ? "127.0.0.1" : null };
    const control = ProcessGroup.gloo(store.prefixed("control"), env.rank, env.worldSize, o.timeoutMs, gloo);
    const group = cuda ? ProcessGroup.nccl(store.prefixed("nccl"), env.rank, env.worldSize, o.timeoutMs) : control;
    return new DistributedContext(env, store, group, control, o.timeoutMs);
  }

  get isMain(): boolean {
    return this.rank === 0;
  }

  /** A DistributedError naming the rank at fault (blocks briefly while the ranks compare notes). */
  explain(what: string, err: unknown): DistributedError {
    return explainFailure(this.failure, what, err);
  }

  /** Waits for `work`, naming the rank at fault on failure. */
  wait(what: string, work: Work | (() => void)): void {
    try {
      if (typeof work === "function") work();
      else work.wait();
    } catch (err) {
      throw this.explain(what, err);
    }
  }

  /** Element-wise reduction of a few numbers over every rank (float64, over the control group). */
  allreduceNumbers(what: string, values: readonly number[], op: ReduceOp = "sum"): number[] {
    const t = fromTypedArray(Float64Array.from(values), [values.length]);
    try {
      this.wait(what, this.control.allreduce([t], op));
      return Array.from(t.toArray() as Float64Array);
    } finally {
      t.dispose();
    }
  }

  /** Rank `root`'s numbers on every rank (the length must agree). */
  broadcastNumbers(what: string, values: readonly number[], root = 0): number[] {
    const t = fromTypedArray(Float64Array.from(values), [values.length]);
    try {
      this.wait(what, this.control.broadcast([t], root));
      return Array.from(t.toArray() as Float64Array);
    } finally {
      t.dispose();
    }
  }

  /** Sums a float64 tensor over every rank in place (e.g. confusion counts). */
  sumInPlace(what: string, t: Tensor): void {
    this.wait(what, this.control.allreduce([t], "sum"));
  }

  barrier(what = "barrier"): void {
    this.wait(what, this.control.barrier());
  }

  /** Leaves the job: drops the process groups (their Gloo threads end with the last reference). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.group !== this.control) this.group.shutdown();
    this.control.shutdown();
  }
}

export { DistributedError };
