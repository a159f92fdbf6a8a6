// src/distributed — data-parallel training over several processes and machines on libtorch's c10d
// (src/tensor/c10d.ts): the launch environment, process groups, DistributedDataParallel,
// SyncBatchNorm, metric merging, naming a rank that died, and `train --nproc`'s local launcher.
//
// env.ts owns reading who this process is in a job from the standard environment: torchrun's
// (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, and its agent store:
// TORCHELASTIC_USE_AGENT_STORE / TORCHELASTIC_RESTART_COUNT), which `train --nproc` also sets, or
// SLURM's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE / SLURM_TASKS_PER_NODE,
// the first host of SLURM_JOB_NODELIST as MASTER_ADDR when none is given).
import { availableParallelism } from "node:os";

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  /** Processes of this job on this machine (threads per process = cores / this). */
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun hosts the TCPStore itself (its agent store): every rank connects as a client under this prefix. */
  agentStorePrefix: string | null;
  /** Where the values came from, for the log. */
  source: "torchrun" | "slurm";
}

/** torchrun's default port; SLURM jobs without MASTER_PORT use it too. */
export const DEFAULT_MASTER_PORT = 29500;

type Env = Readonly<Record<string, string | undefined>>;

function intVar(env: Env, name: string, min: number): number {
  const raw = env[name];
  const n = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new Error(`environment variable ${name} must be an integer >= ${min}, got ${raw === undefined ? "nothing" : JSON.stringify(raw)}`);
  }
  return n;
}

function portVar(env: Env): number {
  if (env.MASTER_PORT === undefined || env.MASTER_PORT === "") return DEFAULT_MASTER_PORT;
  const p = intVar(env, "MASTER_PORT", 1);
  if (p > 65535) throw new Error(`environment variable MASTER_PORT must be a port number (1-65535), got ${p}`);
  return p;
}

/** SLURM_TASKS_PER_NODE "2(x3),1" → tasks on the first node (2); our node is found by SLURM_NODEID. */
export function tasksOnNode(tasksPerNode: string, nodeId: number): number {
  let node = 0;
  for (const part of tasksPerNode.split(",")) {
    const m = /^(\d+)(?:\(x(\d+)\))?$/.exec(part.trim());
    if (!m) break;
    const count = m[2] ? Number(m[2]) : 1;
    if (nodeId < node + count) return Number(m[1]);
    node += count;
  }
  throw new Error(`cannot read SLURM_TASKS_PER_NODE=${JSON.stringify(tasksPerNode)} for node ${nodeId}`);
}

/** First host of a SLURM node list: "gpu[03-05,09],cpu1" → "gpu03". */
export function firstSlurmHost(nodeList: string): string {
  const m = /^([^,[]+)(?:\[([^\]]+)\])?/.exec(nodeList.trim());
  if (!m) throw new Error(`cannot read SLURM_JOB_NODELIST=${JSON.stringify(nodeList)}; set MASTER_ADDR`);
  const first = m[2] ? m[2].split(",")[0].split("-")[0] : "";
  return m[1] + first;
}

function fromTorchrun(env: Env): DistEnv {
  const worldSize = intVar(env, "WORLD_SIZE", 1);
  const rank = intVar(env, "RANK", 0);
  if (rank >= worldSize) throw new Error(`RANK ${rank} is not below WORLD_SIZE ${worldSize}`);
  const localRank = env.LOCAL_RANK === undefined ? rank : intVar(env, "LOCAL_RANK", 0);
  const localWorldSize = env.LOCAL_WORLD_SIZE === undefined ? worldSize : intVar(env, "LOCAL_WORLD_SIZE", 1);
  const masterAddr = env.MASTER_ADDR;
  if (!masterAddr) throw new Error("environment variable MASTER_ADDR is not set (the host of rank 0, or torchrun's rendezvous)");
  const agent = env.TORCHELASTIC_USE_AGENT_STORE === "True" ? `/worker/attempt_${env.TORCHELASTIC_RESTART_COUNT ?? "0"}` : null;
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort: portVar(env), agentStorePrefix: agent, source: "torchrun" };
}

function fromSlurm(env: Env): DistEnv {
  const worldSize = intVar(env, "SLURM_NTASKS", 1);
  const rank = intVar(env, "SLURM_PROCID", 0);
  const localRank = env.SLURM_LOCALID === undefined ? 0 : intVar(env, "SLURM_LOCALID", 0);
  const perNode = env.SLURM_NTASKS_PER_NODE;
  const localWorldSize = perNode && /^\d+$/.test(perNode) ? Number(perNode)
    : env.SLURM_TASKS_PER_NODE ? tasksOnNode(env.SLURM_TASKS_PER_NODE, Number(env.SLURM_NODEID ?? "0")) : 1;
  const masterAddr = env.MASTER_ADDR || (env.SLURM_JOB_NODELIST ? firstSlurmHost(env.SLURM_JOB_NODELIST) : "");
  if (!masterAddr) throw new Error("SLURM job without MASTER_ADDR or SLURM_JOB_NODELIST: set MASTER_ADDR to the first node's address");
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort: portVar(env), agentStorePrefix: null, source: "slurm" };
}

/**
 * This process's place in a distributed job, or null for a plain single-process run. torchrun's
 * variables win over SLURM's (torchrun inside an allocation); a SLURM allocation of one task is
 * not distributed.
 */
export function readDistEnv(env: Env = process.env): DistEnv | null {
  if (env.WORLD_SIZE !== undefined && env.RANK !== undefined) {
    const d = fromTorchrun(env);
    return d.worldSize > 1 ? d : null;
  }
  if (env.SLURM_PROCID !== undefined && env.SLURM_NTASKS !== undefined && Number(env.SLURM_NTASKS) > 1) return fromSlurm(env);
  return null;
}

/** Intra-op threads for one of `localWorldSize` processes sharing this machine's cores (at least 1). */
export function threadsPerProcess(localWorldSize: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, localWorldSize)));
}
