// ddp.ts owns DistributedDataParallel, torch.nn.parallel.DistributedDataParallel's counterpart:
// - at construction, every rank checks that its parameters match rank 0's (count, shapes, dtypes)
//   and takes rank 0's parameters and buffers (c10d's broadcast_coalesced);
// - before each forward, rank 0's buffers (BatchNorm's running statistics) are broadcast, as torch's
//   broadcast_buffers=True does (SyncBatchNorm keeps them equal anyway);
// - gradients are averaged over the ranks in buckets (~25 MB, the first 1 MB, parameters in reverse
//   order since backward produces the last layers' gradients first), one flattened c10d allreduce
//   per bucket. With `overlap` (CPU), a bucket's allreduce starts from a post-accumulate-grad hook
//   as soon as its last gradient is ready, so communication runs on Gloo's threads while backward
//   continues; buckets start in the same order on every rank. finishGradientSync() waits for them
//   and divides by the world size; parameters that got no gradient this step reduce zeros, so every
//   rank issues the same collectives (torch's find_unused_parameters, without the search).
// c10d's own C++ Reducer does this in PyTorch; Debian's libtorch-dev lacks headers it needs, so the
// bucket bookkeeping is here, on c10d's collectives and autograd's hooks (the tensors never pass
// through JavaScript).
import { cat, foreach, noGrad, onGradAccumulated, tidy, zerosLike, type Tensor } from "../tensor/index.js";
import type { Module } from "../nn/index.js";
import type { DistributedContext } from "./group.js";

export interface DDPOptions {
  /** Bucket size in MiB (torch: bucket_cap_mb=25). */
  bucketCapMB?: number;
  /** Size of the first bucket in MiB (torch: 1), so communication starts early in backward. */
  firstBucketMB?: number;
  /** Broadcast rank 0's buffers before every forward (torch's broadcast_buffers, default true). */
  broadcastBuffers?: boolean;
  /** Start bucket allreduces during backward (CPU only; default true). False: all after backward. */
  overlap?: boolean;
}

/** Bucket size of the parameter/buffer broadcasts (torch DDP's 250 MiB). */
const BROADCAST_BYTES = 250 * 1024 * 1024;

/** An allreduce in flight (a c10d Work, or one followed by a copy back). */
interface Pending { wait(): void }

interface Bucket {
  params: Tensor[];
  ready: number;
  work: Pending | null;
  grads: Tensor[];
}

/** Parameters in reverse order, cut into buckets of at most `capBytes` (the first `firstBytes`), one dtype/device each. */
export function assignBuckets(params: readonly Tensor[], capBytes: number, firstBytes: number): Tensor[][] {
  const buckets: Tensor[][] = [];
  let current: Tensor[] = [], bytes = 0, key = "";
  for (const p of [...params].reverse()) {
    const k = `${p.dtype}@${p.device}`;
    const limit = buckets.length === 0 ? firstBytes : capBytes;
    const size = p.numel() * (p.dtype === "float64" ? 8 : p.dtype === "float32" ? 4 : 2);
    if (current.length > 0 && (k !== key || bytes + size > limit)) {
      buckets.push(current);
      current = []; bytes = 0;
    }
    current.push(p); bytes += size; key = k;
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}

export class DistributedDataParallel<M extends Module> {
  readonly overlap: boolean;
  private readonly params: Tensor[];
  private readonly buffers: Tensor[];
  private readonly buckets: Bucket[];
  private readonly bucketOf = new Map<Tensor, Bucket>();
  private readonly removeHooks: Array<() => void> = [];
  private armed = false;
  private nextToLaunch = 0;
  /** Seconds spent waiting for gradient allreduces in finishGradientSync (since the last read). */
  private waitS = 0;

  constructor(readonly module: M, readonly ctx: DistributedContext, private readonly o: DDPOptions = {}) {
    this.params = module.parameters().filter((p) => p.requiresGrad);
    this.buffers = module.buffers();
    this.checkSameParameters(module.parameters());
    this.syncModuleStates();
    const MiB = 1024 * 1024;
    this.buckets = assignBuckets(this.params, (o.bucketCapMB ?? 25) * MiB, (o.firstBucketMB ?? 1) * MiB)
      .map((params) => ({ params, ready: 0, work: null, grads: [] }));
    for (const b of this.buckets) for (const p of b.params) this.bucketOf.set(p, b);
    this.overlap = (o.overlap ?? true) && this.params.every((p) => p.device === "cpu");
    if (this.overlap) {
      for (const p of this.params) this.removeHooks.push(onGradAccumulated(p, () => this.onGradReady(p)));
    }
  }

  /** Number of gradient buckets (one allreduce each per step). */
  get numBuckets(): number {
    return this.buckets.length;
  }

  /** Before the forward whose backward should be synchronised (torch: DDP.forward outside no_sync). */
  prepareForward(sync: boolean): void {
    if ((this.o.broadcastBuffers ?? true) && this.buffers.length > 0) {
      this.ctx.wait("broadcasting buffers", () => noGrad(() => this.ctx.group.broadcastCoalesced(this.buffers, BROADCAST_BYTES, 0)));
    }
    if (sync) this.arm();
  }

  /** After backward: waits for every bucket (launching those not started) and averages the gradients. */
  finishGradientSync(): void {
    if (!this.armed) this.arm();
    try {
      for (let i = this.nextToLaunch; i < this.buckets.length; i++) this.launch(this.buckets[i]);
      this.nextToLaunch = this.buckets.length;
      const t0 = performance.now();
      for (const b of this.buckets) this.ctx.wait("allreducing gradients", () => (b.work as Pending).wait());
      this.waitS += (performance.now() - t0) / 1000;
      for (const b of this.buckets) foreach.div_(b.grads, this.ctx.worldSize);
    } finally {
      for (const b of this.buckets) {
        for (const g of b.grads) g.dispose();
        b.grads = [];
        b.work = null;
        b.ready = 0;
      }
      this.armed = false;
    }
  }

  /** Seconds finishGradientSync waited for allreduces since the last call (the bench's figure). */
  takeWaitSeconds(): number {
    const s = this.waitS;
    this.waitS = 0;
    return s;
  }

  dispose(): void {
    for (const remove of this.removeHooks) remove();
    this.removeHooks.length = 0;
  }

  private arm(): void {
    for (const b of this.buckets) { b.ready = 0; b.work = null; b.grads = []; }
    this.nextToLaunch = 0;
    this.armed = true;
  }

  private onGradReady(p: Tensor): void {
    if (!this.armed) return;
    const b = this.bucketOf.get(p) as Bucket;
    b.ready++;
    // Buckets start strictly in order, so every rank issues the same collectives in the same order.
    while (this.nextToLaunch < this.buckets.length) {
      const next = this.buckets[this.nextToLaunch];
      if (next.ready < next.params.length) break;
      this.launch(next);
      this.nextToLaunch++;
    }
  }

  private launch(b: Bucket): void {
    b.grads = b.params.map((p) => {
      const g = p.grad;
      if (g) return g.keep();
      // No gradient this step: reduce zeros, so every rank's collectives match.
      const zero = zerosLike(p).keep();
      p.grad = zero;
      return zero;
    });
    if (this.ctx.group.backend === "gloo") b.work = this.ctx.group.allreduceCoalesced(b.grads);
    else b.work = this.allreduceFlat(b.grads);
  }

  /** NCCL has no allreduce_coalesced in libtorch 1.13: one flat buffer, copied back after (untested: no GPU here). */
  private allreduceFlat(grads: Tensor[]): Pending {
    const flat = tidy(() => cat(grads.map((g) => g.reshape([-1])))).keep();
    const work = this.ctx.group.allreduce([flat]);
    return {
      wait: () => {
        try {
          work.wait();
          tidy(() => {
            let offset = 0;
            for (const g of grads) {
              g.copy_(flat.narrow(0, offset, g.numel()).view(g.shape));
              offset += g.numel();
            }
          });
        } finally {
          flat.dispose();
        }
      },
    };
  }

  /** Every rank has the same parameters as rank 0 (count, shapes, dtypes), or an Error names the difference. */
  private checkSameParameters(params: readonly Tensor[]): void {
    const signature = params.map((p) => `${p.dtype}[${p.shape.join(",")}]`).join(";");
    let hash = 0;
    for (let i = 0; i < signature.length; i++) hash = (hash * 31 + signature.charCodeAt(i)) % 2147483647;
    const mine = [params.length, params.reduce((n, p) => n + p.numel(), 0), hash];
    const theirs = this.ctx.broadcastNumbers("comparing model parameters", mine, 0);
    const same = mine.every((v, i) => v === theirs[i]);
    const agree = this.ctx.allreduceNumbers("comparing model parameters", [same ? 0 : 1], "max")[0] === 0;
    if (!agree) {
      throw new Error(`DistributedDataParallel: rank ${this.ctx.rank} has ${mine[0]} parameters (${mine[1]} values) `
        + `and rank 0 has ${theirs[0]} (${theirs[1]}), or their shapes differ: every rank must build the same model`);
    }
  }

  /** Every rank starts from rank 0's parameters and buffers (torch's _sync_module_states). */
  private syncModuleStates(): void {
    const states = [...this.module.parameters(), ...this.buffers];
    if (states.length === 0) return;
    this.ctx.wait("broadcasting rank 0's parameters", () => noGrad(() => this.ctx.group.broadcastCoalesced(states, BROADCAST_BYTES, 0)));
  }
}
