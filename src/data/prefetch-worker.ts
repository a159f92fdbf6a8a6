// prefetch-worker.ts is the body of the data prefetch thread: it gathers the batches the main
// thread asks for (by cursor) from the shared slice store and transfers their buffers back.
import { parentPort, workerData } from "node:worker_threads";
import { EpochOrders, gatherBatch, type BatchPlan, type Cursor, type LoaderConfig } from "./batch.js";
import { unpackSlices, type PackedSlices } from "./store.js";

export interface WorkerInit {
  readonly packed: PackedSlices;
  readonly config: LoaderConfig;
  readonly plan: BatchPlan;
}
export interface WorkerRequest {
  readonly id: number;
  readonly cursor: Cursor;
}

const init = workerData as WorkerInit;
const slices = unpackSlices(init.packed);
const orders = new EpochOrders(slices.length, init.config.seed);

parentPort?.on("message", (req: WorkerRequest) => {
  try {
    const t0 = performance.now();
    const batch = gatherBatch(slices, init.config, init.plan, orders, req.cursor);
    const ms = performance.now() - t0;
    parentPort?.postMessage({ id: req.id, batch, ms }, [batch.canvas.buffer as ArrayBuffer, batch.canvasLabels.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort?.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
