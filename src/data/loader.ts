// loader.ts owns TrainLoader: an endless stream of training batches (CropBatch: each sample's source
// window and augmentation draws, rendered on libtorch by src/train/augment.ts), reshuffled every
// epoch from a seed, with state()/restore() so a resumed run sees exactly the same data order.
// Batches are gathered ahead in a worker thread (buffers transferred, slices shared) and fall
// back to the calling thread when workers are off or the worker fails. In a distributed run
// (config.shard) the cursor walks global batches and each rank gathers its share (batch.ts).
import { Worker } from "node:worker_threads";
import type { TrainSlice } from "./augment.js";
import { advance, checkLoaderConfig, EpochOrders, gatherBatch, planBatches, stepSize, type BatchPlan, type Cursor, type LoaderConfig } from "./batch.js";
import { packSlices, unpackSlices, type PackedSlices } from "./store.js";
import type { WorkerInit, WorkerRequest } from "./prefetch-worker.js";
import type { CropBatch } from "./types.js";

export interface LoaderState {
  readonly version: 1;
  readonly seed: number;
  readonly numSlices: number;
  /** Samples per step over every rank (batchSize x world size; older states: per process, one process). */
  readonly batchSize: number;
  readonly epoch: number;
  readonly position: number;
  /** Batches served so far (informative). */
  readonly batches: number;
}

export interface LoaderOptions {
  /** Gather in a worker thread (default true). */
  readonly worker?: boolean;
  /** Batches gathered ahead (default 2). */
  readonly prefetch?: number;
}

interface Pending {
  readonly cursor: Cursor;
  readonly promise: Promise<CropBatch>;
}

interface WorkerReply {
  readonly id: number;
  readonly batch?: CropBatch;
  readonly ms?: number;
  readonly error?: string;
}

export class TrainLoader {
  private readonly slices: TrainSlice[];
  private readonly packed: PackedSlices;
  private readonly orders: EpochOrders;
  private readonly plan: BatchPlan;
  private cursor: Cursor = { epoch: 0, position: 0 };
  private served = 0;
  private queue: Pending[] = [];
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, { cursor: Cursor; resolve: (b: CropBatch) => void; reject: (e: Error) => void }>();
  private readonly prepMs: number[] = [];

  constructor(slices: readonly TrainSlice[] | PackedSlices, readonly config: LoaderConfig, private readonly options: LoaderOptions = {}) {
    this.packed = "meta" in slices ? slices : packSlices(slices);
    this.slices = unpackSlices(this.packed);
    checkLoaderConfig(config, this.slices.length);
    this.orders = new EpochOrders(this.slices.length, config.seed);
    this.plan = planBatches(this.slices, config);
    if (options.worker ?? true) this.startWorker();
  }

  get numSlices(): number {
    return this.slices.length;
  }

  /** Position of the next batch to be served; a full description of the data order. */
  state(): LoaderState {
    return { version: 1, seed: this.config.seed, numSlices: this.slices.length, batchSize: stepSize(this.config), ...this.cursor, batches: this.served };
  }

  /**
   * Continue from `s`. The data and seed must be the same; the global batch may differ (a run
   * resumed on another number of processes): the next step starts where the saved one stopped.
   */
  restore(s: LoaderState): void {
    if (s.version !== 1) throw new Error(`loader state: unknown version ${String(s.version)}`);
    const mine = this.state();
    for (const k of ["seed", "numSlices"] as const) {
      if (s[k] !== mine[k]) throw new Error(`loader state: ${k} ${s[k]} does not match this loader's ${mine[k]} (different data or seed)`);
    }
    if (!(Number.isInteger(s.epoch) && s.epoch >= 0 && Number.isInteger(s.position) && s.position >= 0 && s.position < s.numSlices)) {
      throw new Error(`loader state: invalid epoch/position ${s.epoch}/${s.position}`);
    }
    this.queue = []; // prefetched batches belong to the old position; their replies are ignored
    this.cursor = { epoch: s.epoch, position: s.position };
    this.served = s.batches;
  }

  /** The next batch, prefetching the following ones in the worker. */
  async next(): Promise<CropBatch> {
    if (!this.worker) return this.nextSync();
    this.fillQueue();
    const head = this.queue.shift() as Pending;
    this.fillQueue();
    const batch = await head.promise;
    this.cursor = advance(head.cursor, stepSize(this.config), this.slices.length);
    this.served++;
    return batch;
  }

  /** The next batch gathered on this thread (drops anything prefetched). */
  nextSync(): CropBatch {
    this.queue = [];
    const t0 = performance.now();
    const batch = gatherBatch(this.slices, this.config, this.plan, this.orders, this.cursor);
    this.recordPrep(performance.now() - t0);
    this.cursor = advance(this.cursor, stepSize(this.config), this.slices.length);
    this.served++;
    return batch;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CropBatch> {
    for (;;) yield await this.next();
  }

  /** Mean and last preparation time per batch (ms, measured where the batch was gathered). */
  prepTime(): { meanMs: number; lastMs: number; batches: number } {
    const n = this.prepMs.length;
    return { meanMs: n ? this.prepMs.reduce((a, b) => a + b, 0) / n : 0, lastMs: n ? this.prepMs[n - 1] : 0, batches: n };
  }

  get usesWorker(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.queue = [];
    for (const o of this.waiting.values()) o.reject(new Error("loader closed"));
    this.waiting.clear();
    if (w) await w.terminate();
  }

  private recordPrep(ms: number): void {
    this.prepMs.push(ms);
    if (this.prepMs.length > 1000) this.prepMs.shift();
  }

  private fillQueue(): void {
    const depth = Math.max(1, this.options.prefetch ?? 2);
    while (this.queue.length < depth) {
      const last = this.queue[this.queue.length - 1];
      const cursor = last ? advance(last.cursor, stepSize(this.config), this.slices.length) : this.cursor;
      this.queue.push({ cursor, promise: this.request(cursor) });
    }
  }

  private request(cursor: Cursor): Promise<CropBatch> {
    const w = this.worker;
    if (!w) return Promise.resolve(gatherBatch(this.slices, this.config, this.plan, this.orders, cursor));
    const id = this.nextId++;
    const p = new Promise<CropBatch>((resolve, reject) => this.waiting.set(id, { cursor, resolve, reject }));
    p.catch(() => undefined); // a batch dropped by restore() may fail unobserved; awaiters still see errors
    w.ref(); // keep the process alive while a batch is owed
    w.postMessage({ id, cursor } satisfies WorkerRequest);
    return p;
  }

  private startWorker(): void {
    try {
      const init: WorkerInit = { packed: this.packed, config: this.config, plan: this.plan };
      const w = new Worker(new URL("./prefetch-worker.js", import.meta.url), { workerData: init });
      w.unref();
      w.on("message", (m: WorkerReply) => this.onReply(m));
      w.on("error", (err) => this.onWorkerFailure(err));
      this.worker = w;
    } catch {
      this.worker = null; // synchronous fallback
    }
  }

  private onReply(m: WorkerReply): void {
    const waiter = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (!waiter) return;
    if (m.batch) {
      this.recordPrep(m.ms ?? 0);
      waiter.resolve(m.batch);
    } else waiter.reject(new Error(`data worker: ${m.error ?? "no batch"}`));
  }

  /** The worker died: gather what it owed on this thread and carry on without it. */
  private onWorkerFailure(err: Error): void {
    process.emitWarning(`data prefetch worker failed (${err.message}); gathering batches on the main thread`);
    this.worker = null;
    const owed = [...this.waiting.values()];
    this.waiting.clear();
    for (const o of owed) {
      try {
        o.resolve(gatherBatch(this.slices, this.config, this.plan, this.orders, o.cursor));
      } catch (e) {
        o.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
