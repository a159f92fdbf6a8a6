// c10d.ts owns the typed face of libtorch's c10d (native/src/distributed.cc): the rendezvous Store
// (TCPStore, PrefixStore), ProcessGroup (Gloo on CPU, NCCL on CUDA) with its collectives returning
// Work handles, and the allreducing gradient hook SyncBatchNorm uses. One method per c10d call; the
// policies (environment, DDP, SyncBatchNorm, naming a dead rank) live in src/distributed.
import { N, type NativeGroup, type NativeStore, type NativeWork } from "./native.js";
import type { Tensor } from "./tensor.js";

export type ReduceOp = "sum" | "product" | "min" | "max";
const REDUCE_OP_CODE: Readonly<Record<ReduceOp, number>> = { sum: 0, product: 1, min: 2, max: 3 };

/** Which c10d backends this addon was built with. */
export function c10dBackends(): { gloo: boolean; nccl: boolean } {
  return N.c10dBackends();
}

export interface TCPStoreOptions {
  host: string;
  port: number;
  /** Host the store's server in this process (rank 0, or the launcher). */
  isServer: boolean;
  /** Number of store clients, the server's included (the world size); null = not checked. */
  worldSize?: number | null;
  timeoutMs: number;
  /** The server waits for every worker to connect before returning (default true). */
  waitWorkers?: boolean;
  /** Several stores in one process may share host:port (torch's multi_tenant). */
  multiTenant?: boolean;
}

/** A c10d key-value store: what ranks rendezvous through. */
export class Store {
  /** @internal */
  constructor(readonly _s: NativeStore) {}

  /** c10d::TCPStore: a server on one host, clients everywhere (connecting retries until the timeout). */
  static tcp(o: TCPStoreOptions): Store {
    return new Store(N.tcpStoreNew(o.host, o.port, o.isServer, o.worldSize ?? null, o.timeoutMs, o.waitWorkers ?? true,
      o.multiTenant ?? false));
  }

  /** c10d::PrefixStore: a view of `this` whose keys are `${prefix}/${key}`. */
  prefixed(prefix: string): Store {
    return new Store(N.prefixStoreNew(prefix, this._s));
  }

  /** The port a TCPStore listens on (the one chosen when created with port 0). */
  get port(): number {
    return N.tcpStorePort(this._s);
  }

  set(key: string, value: Uint8Array | string): void {
    N.storeSet(this._s, key, typeof value === "string" ? new TextEncoder().encode(value) : value);
  }
  /** Waits (up to the store's timeout) for `key`, then returns its bytes. */
  get(key: string): Uint8Array {
    return N.storeGet(this._s, key);
  }
  getString(key: string): string {
    return new TextDecoder().decode(this.get(key));
  }
  /** Atomically adds `n` to the integer at `key` (created as 0) and returns the new value. */
  add(key: string, n: number): number {
    return N.storeAdd(this._s, key, n);
  }
  check(keys: string[]): boolean {
    return N.storeCheck(this._s, keys);
  }
  wait(keys: string[], timeoutMs: number): void {
    N.storeWait(this._s, keys, timeoutMs);
  }
  deleteKey(key: string): boolean {
    return N.storeDeleteKey(this._s, key);
  }
  setTimeout(timeoutMs: number): void {
    N.storeSetTimeout(this._s, timeoutMs);
  }
}

/** An in-flight collective (c10d::Work). */
export class Work {
  /** @internal */
  constructor(readonly _w: NativeWork) {}
  /** Blocks until the collective is done; throws the collective's error (a peer gone, a timeout). */
  wait(): void {
    N.workWait(this._w, null);
  }
  get isCompleted(): boolean {
    return N.workIsCompleted(this._w);
  }
}

export interface GlooOptions {
  /** Network interfaces to use (GLOO_SOCKET_IFNAME), else `hostname`'s address, else this host's name. */
  interfaces?: string[] | null;
  hostname?: string | null;
}

/** A c10d process group: the ranks of one job and the collectives among them. */
export class ProcessGroup {
  private native: NativeGroup | null;

  private constructor(g: NativeGroup) {
    this.native = g;
  }

  /** c10d::ProcessGroupGloo (CPU tensors; also CUDA tensors, through host copies). */
  static gloo(store: Store, rank: number, size: number, timeoutMs: number, o: GlooOptions = {}): ProcessGroup {
    return new ProcessGroup(N.processGroupGlooNew(store._s, rank, size, timeoutMs, o.interfaces ?? null, o.hostname ?? null));
  }

  /** c10d::ProcessGroupNCCL (CUDA tensors); throws where the addon was built without NCCL. Untested here. */
  static nccl(store: Store, rank: number, size: number, timeoutMs: number): ProcessGroup {
    return new ProcessGroup(N.processGroupNcclNew(store._s, rank, size, timeoutMs));
  }

  /** @internal */
  get _g(): NativeGroup {
    if (!this.native) throw new Error("the process group has been shut down");
    return this.native;
  }
  get rank(): number {
    return N.pgRank(this._g);
  }
  get size(): number {
    return N.pgSize(this._g);
  }
  get backend(): string {
    return N.pgBackendName(this._g);
  }
  get isShutDown(): boolean {
    return this.native === null;
  }

  /** Reduces each tensor in place across ranks. */
  allreduce(tensors: Tensor[], op: ReduceOp = "sum"): Work {
    return new Work(N.pgAllreduce(this._g, tensors.map((t) => t._h), REDUCE_OP_CODE[op]));
  }
  /** One flattened allreduce over tensors of one dtype and device (results copied back in place). */
  allreduceCoalesced(tensors: Tensor[], op: ReduceOp = "sum"): Work {
    return new Work(N.pgAllreduceCoalesced(this._g, tensors.map((t) => t._h), REDUCE_OP_CODE[op]));
  }
  /** Overwrites each tensor with rank `root`'s. */
  broadcast(tensors: Tensor[], root = 0): Work {
    return new Work(N.pgBroadcast(this._g, tensors.map((t) => t._h), root));
  }
  /** outputs[r] (one per rank, shaped like `input`) receives rank r's `input`. */
  allgather(outputs: Tensor[], input: Tensor): Work {
    return new Work(N.pgAllgather(this._g, outputs.map((t) => t._h), input._h));
  }
  barrier(): Work {
    return new Work(N.pgBarrier(this._g));
  }
  /**
   * c10d's monitored barrier (Gloo): rank 0 waits for every rank up to `timeoutMs` and throws naming
   * those that did not arrive ("Rank 1 failed to pass monitoredBarrier in … ms"); the others throw
   * naming rank 0 when it is gone.
   */
  monitoredBarrier(timeoutMs: number, waitAllRanks = true): void {
    N.pgMonitoredBarrier(this._g, timeoutMs, waitAllRanks);
  }
  /** c10d's broadcast_coalesced: many tensors from `root` in buckets of `bufferBytes`. */
  broadcastCoalesced(tensors: Tensor[], bufferBytes: number, root = 0): void {
    N.broadcastCoalesced(this._g, tensors.map((t) => t._h), bufferBytes, root);
  }
  /** During backward, the gradient flowing into `t` becomes its sum over the group (see SyncBatchNorm). */
  allreduceGradientOf(t: Tensor): void {
    N.registerAllreduceGradHook(t._h, this._g);
  }

  /** Drops this handle's reference to the group; the group goes with the last one. */
  shutdown(): void {
    if (this.native) N.pgShutdown(this.native);
    this.native = null;
  }
}
