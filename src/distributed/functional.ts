// functional.ts owns collectives inside the autograd graph, as torch.distributed.nn.functional's:
// a sum over the ranks whose backward hands each rank the gradient of every rank's loss. Used by
// the distributed batch Dice (src/train/losses.ts); SyncBatchNorm does the same with an allgather.
import type { ProcessGroup, Tensor } from "../tensor/index.js";

/**
 * Σ over the ranks of `t`, differentiable: the value is the allreduced sum; in backward, the
 * gradient reaching `t` is the sum over the ranks of the gradient of the result (each rank's loss
 * depends on every rank's `t` through the sum).
 */
export function allreduceSumWithGrad(group: ProcessGroup, t: Tensor): Tensor {
  const plain = t.detach().clone();
  group.allreduce([plain]).wait();
  const out = plain.add(t.sub(t.detach())); // value: the sum; gradient: the identity onto this rank's t
  group.allreduceGradientOf(out);
  return out;
}
