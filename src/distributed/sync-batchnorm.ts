// sync-batchnorm.ts owns SyncBatchNorm (torch.nn.SyncBatchNorm's counterpart): in training, every
// BatchNorm2d normalises with the mean and variance of the whole global batch — all ranks' samples —
// instead of its own few (the founding recipe has 2 slices per step, where per-rank statistics are
// poor). Forward: each rank's per-channel mean, biased variance and count are all-gathered and
// combined (Chan's parallel formula, as torch's batch_norm_gather_stats_with_counts), the running
// statistics updated from the global ones (unbiased variance, torch's momentum), and x normalised.
// Backward: the gathered statistics carry this rank's own row with its autograd history; a hook
// allreduces their gradient, so each rank's inputs receive the gradient of every rank's loss
// through the shared statistics — what torch computes with its reduced sum_dy / sum_dy_xmu. With
// DDP averaging the parameter gradients, W ranks x B samples train exactly like 1 rank x W·B.
// torch's own SyncBatchNorm is CUDA-only (1.13); this one runs wherever the group does.
import { Module, BatchNorm2d } from "../nn/index.js";
import { noGrad, stack, zeros, type ProcessGroup, type Tensor } from "../tensor/index.js";

function syncForward(group: ProcessGroup): (bn: BatchNorm2d, x: Tensor, momentum: number) => Tensor {
  return (bn, x, momentum) => {
    const C = bn.numFeatures, W = group.size, rank = group.rank;
    const count = x.shape[0] * x.shape[2] * x.shape[3];
    const mean = x.mean([0, 2, 3]);
    const variance = x.var([0, 2, 3], false, false);
    const local = stack([mean, variance, zeros([C], { device: x.device }).add(count)]).to({ dtype: x.dtype });
    // Every rank's [mean; var; count] rows, this rank's row with its autograd history.
    const rows = Array.from({ length: W }, () => zeros(local.shape, { dtype: local.dtype, device: local.device }));
    const plain = local.detach();
    group.allgather(rows, plain).wait();
    const mask = zeros([W, 1, 1], { dtype: local.dtype, device: local.device });
    noGrad(() => mask.narrow(0, rank, 1).fill_(1));
    const gathered = stack(rows).add(mask.mul(local.sub(plain).unsqueeze(0)));
    group.allreduceGradientOf(gathered);
    const means = gathered.select(1, 0), vars = gathered.select(1, 1), counts = gathered.select(1, 2);
    const total = counts.sum([0]);
    const globalMean = means.mul(counts).sum([0]).div(total);
    const spread = means.sub(globalMean.unsqueeze(0)).square();
    const globalVar = vars.add(spread).mul(counts).sum([0]).div(total);
    if (bn.runningMean && bn.runningVar) {
      const n = W * count;
      const rm = bn.runningMean, rv = bn.runningVar;
      noGrad(() => {
        rm.mul_(1 - momentum).add_(globalMean.detach().mul(momentum));
        rv.mul_(1 - momentum).add_(globalVar.detach().mul(momentum * n / Math.max(1, n - 1)));
      });
    }
    const shape = [1, C, 1, 1];
    let scale = globalVar.add(bn.eps).rsqrt();
    if (bn.weight) scale = scale.mul(bn.weight);
    let y = x.sub(globalMean.view(shape)).mul(scale.view(shape));
    if (bn.bias) y = y.add(bn.bias.view(shape));
    return y;
  };
}

/**
 * Makes every BatchNorm2d of `model` a SyncBatchNorm over `group` (torch's
 * SyncBatchNorm.convert_sync_batchnorm, but in place: the layers, their parameters and state-dict
 * keys stay). Returns how many layers were converted. A group of one process changes nothing.
 */
export function convertSyncBatchNorm(model: Module, group: ProcessGroup): number {
  if (group.size === 1) return 0;
  const forward = syncForward(group);
  let n = 0;
  for (const m of model.modules()) {
    if (m instanceof BatchNorm2d) {
      m.trainingForward = forward;
      n++;
    }
  }
  return n;
}

/** Plain per-process BatchNorm again (e.g. before exporting). */
export function revertSyncBatchNorm(model: Module): void {
  for (const m of model.modules()) if (m instanceof BatchNorm2d) m.trainingForward = null;
}
