// optimizer.ts owns building the optimiser from the config: deeplab-pytorch's parameter groups
// (backbone at the base rate, heads at headLrMult × it) and applying the schedule to every group.
import { Adam, AdamW, SGD, type Optimizer, type Hyper } from "../optim/index.js";
import type { DeepLabV3 } from "../models/index.js";
import type { OptimConfig } from "./config.js";
import { lrFactor, type ScheduleConfig } from "./schedule.js";

export interface ScheduledOptimizer {
  optimizer: Optimizer<Hyper>;
  /** Base learning rate of each parameter group (schedule factor 1). */
  baseLrs: number[];
}

export function buildOptimizer(model: DeepLabV3, o: OptimConfig): ScheduledOptimizer {
  const { backbone, head } = model.parameterGroups();
  const groups = [{ params: backbone, lr: o.lr }, { params: head, lr: o.lr * o.headLrMult }].filter((g) => g.params.length > 0);
  const baseLrs = groups.map((g) => g.lr);
  const wd = o.weightDecay;
  let optimizer: Optimizer<Hyper>;
  if (o.name === "sgd") {
    optimizer = new SGD(groups, { lr: o.lr, momentum: o.momentum, weightDecay: wd, nesterov: o.nesterov }) as unknown as Optimizer<Hyper>;
  } else {
    const Ctor = o.name === "adam" ? Adam : AdamW;
    optimizer = new Ctor(groups, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: wd }) as unknown as Optimizer<Hyper>;
  }
  return { optimizer, baseLrs };
}

/** Set every group's rate for iteration `iter` of an iteration run; returns the base (backbone) group's rate. */
export function applySchedule(s: ScheduledOptimizer, iter: number, totalIters: number, schedule: ScheduleConfig): number {
  return applyLrFactor(s, lrFactor(iter, totalIters, schedule));
}

/** Set every group's rate to its base rate × `factor` (from a RunPlan); returns the backbone group's rate. */
export function applyLrFactor(s: ScheduledOptimizer, factor: number): number {
  s.optimizer.paramGroups.forEach((g, i) => { g.lr = s.baseLrs[i] * factor; });
  return s.baseLrs[0] * factor;
}
