// metrics.ts owns merging metrics across processes (MONAI's metrics reduce over ranks the same way):
// a sharded validation's confusion matrices are summed element-wise over every rank, so the summary
// scores computed from the sum equal those of one process scoring every slice. Counts travel as
// float64 (exact up to 2^53 voxels).
import { ConfusionMatrix } from "../eval/confusion.js";
import { fromTypedArray } from "../tensor/index.js";
import type { DistributedContext } from "./group.js";

/** Adds every rank's counts into `cm` (in place, on every rank). */
export function sumConfusionAcrossRanks(ctx: DistributedContext, cm: ConfusionMatrix): void {
  const t = fromTypedArray(Float64Array.from(cm.counts), [cm.counts.length]);
  try {
    ctx.sumInPlace("summing validation counts", t);
    cm.counts.set(t.toArray() as Float64Array);
  } finally {
    t.dispose();
  }
}
