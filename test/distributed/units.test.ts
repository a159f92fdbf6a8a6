// src/distributed without processes: reading torchrun's and SLURM's environment, threads per
// process, the distributed sampler (the ranks' batches at a step are the one-process global batch,
// sample by sample), gradient buckets, generators on the model's device.
import { test } from "node:test";
import assert from "node:assert/strict";
import { firstSlurmHost, readDistEnv, tasksOnNode, threadsPerProcess } from "../../src/distributed/env.js";
import { assignBuckets } from "../../src/distributed/ddp.js";
import { stripNproc } from "../../src/distributed/launch.js";
import { TrainLoader } from "../../src/data/loader.js";
import type { TrainSlice } from "../../src/data/augment.js";
import { Generator, cudaIsAvailable, zeros } from "../../src/tensor/index.js";
import { rng } from "../paths.js";

test("torchrun's variables, its agent store, and SLURM's are read; one process is not distributed", () => {
  const torchrun = { MASTER_ADDR: "10.0.0.1", MASTER_PORT: "29400", RANK: "3", WORLD_SIZE: "4", LOCAL_RANK: "1", LOCAL_WORLD_SIZE: "2" };
  assert.deepEqual(readDistEnv(torchrun), {
    rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: "10.0.0.1", masterPort: 29400, agentStorePrefix: null, source: "torchrun",
  });
  const agent = readDistEnv({ ...torchrun, TORCHELASTIC_USE_AGENT_STORE: "True", TORCHELASTIC_RESTART_COUNT: "2" });
  assert.equal(agent?.agentStorePrefix, "/worker/attempt_2");
  assert.equal(readDistEnv({ ...torchrun, WORLD_SIZE: "1", RANK: "0" }), null);
  assert.equal(readDistEnv({}), null);
  assert.throws(() => readDistEnv({ ...torchrun, MASTER_ADDR: undefined }), /MASTER_ADDR is not set/);
  assert.throws(() => readDistEnv({ ...torchrun, RANK: "4" }), /RANK 4 is not below WORLD_SIZE 4/);
  assert.throws(() => readDistEnv({ ...torchrun, MASTER_PORT: "70000" }), /MASTER_PORT must be a port/);

  const slurm = readDistEnv({ SLURM_PROCID: "5", SLURM_NTASKS: "8", SLURM_LOCALID: "1", SLURM_TASKS_PER_NODE: "4(x2)", SLURM_NODEID: "1",
    SLURM_JOB_NODELIST: "gpu[07-08]" });
  assert.deepEqual(slurm, {
    rank: 5, worldSize: 8, localRank: 1, localWorldSize: 4, masterAddr: "gpu07", masterPort: 29500, agentStorePrefix: null, source: "slurm",
  });
  assert.equal(readDistEnv({ SLURM_PROCID: "0", SLURM_NTASKS: "1" }), null);
  assert.equal(firstSlurmHost("node1,node2"), "node1");
  assert.equal(firstSlurmHost("cn[003,010-012],gpu1"), "cn003");
  assert.equal(tasksOnNode("2(x3),1", 3), 1);
  assert.equal(tasksOnNode("2(x3),1", 2), 2);
  assert.equal(threadsPerProcess(2, 2), 1);
  assert.equal(threadsPerProcess(3, 16), 5);
  assert.equal(threadsPerProcess(4, 2), 1);
  assert.deepEqual(stripNproc(["train", "--nproc", "2", "--config", "c.yaml", "--nproc=3", "a=1"]), ["train", "--config", "c.yaml", "a=1"]);
});

function slices(n: number): TrainSlice[] {
  const r = rng(7);
  return Array.from({ length: n }, (_, k) => {
    const w = 20 + k, h = 18, image = new Float32Array(w * h), label = new Uint8Array(w * h);
    for (let i = 0; i < image.length; i++) { image[i] = r(); label[i] = image[i] > 0.7 ? 2 : image[i] > 0.4 ? 1 : 0; }
    return { id: `s${k}`, image, label, width: w, height: h, spacing: [1.5, 1.5] as [number, number], stats: { lo: 0, hi: 1, mean: 0.5, std: 0.3 } };
  });
}

test("distributed sampler: at every step the ranks' batches together are the 1-process global batch", () => {
  const data = slices(7); // 7 slices, global batch 4: steps cross epoch boundaries
  const cfg = { batchSize: 2, size: { width: 16, height: 16 }, seed: 9 };
  const whole = new TrainLoader(data, { ...cfg, batchSize: 4 }, { worker: false });
  const ranks = [0, 1].map((rank) => new TrainLoader(data, { ...cfg, shard: { rank, worldSize: 2 } }, { worker: false }));
  const seen = new Map<string, number>();
  for (let step = 0; step < 7; step++) {
    const g = whole.nextSync();
    const parts = ranks.map((l) => l.nextSync());
    assert.deepEqual(parts.flatMap((p) => p.ids), g.ids, `step ${step}: same slices in the same order`);
    assert.deepEqual(Array.from(parts.flatMap((p) => Array.from(p.theta))), Array.from(g.theta), `step ${step}: same augmentation draws`);
    assert.deepEqual(parts.flatMap((p) => p.intensity), g.intensity);
    for (const id of g.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  assert.deepEqual([...seen.values()].sort(), [4, 4, 4, 4, 4, 4, 4], "4 epochs: every slice 4 times, no rank overlap");
  // Resumable, and the state is the global position: a 1-process loader continues a 2-rank run.
  const state = ranks[0].state();
  assert.deepEqual(state, ranks[1].state());
  assert.equal(state.batchSize, 4);
  const resumed = new TrainLoader(data, { ...cfg, batchSize: 4 }, { worker: false });
  resumed.restore(state);
  assert.deepEqual(resumed.nextSync().ids, whole.nextSync().ids);
  assert.throws(() => new TrainLoader(data, { ...cfg, shard: { rank: 2, worldSize: 2 } }, { worker: false }), /rank 2 of 2/);
});

test("gradient buckets: reverse parameter order, first bucket small, capped, one dtype each", () => {
  const p = [zeros([100]), zeros([100]), zeros([200], { dtype: "float64" }), zeros([50]), zeros([400])];
  const buckets = assignBuckets(p, 1200, 400);
  assert.deepEqual(buckets.map((b) => b.map((t) => p.indexOf(t))), [[4], [3], [2], [1, 0]]);
  for (const t of p) t.dispose();
});

test("a Generator lives on a device (a CUDA one needs a GPU: refused clearly here)", () => {
  const g = new Generator(3);
  assert.equal(g.device, "cpu");
  if (!cudaIsAvailable()) assert.throws(() => new Generator(3, "cuda"), /CUDA is not available/);
});
