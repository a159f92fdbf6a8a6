// Public entry of src/distributed (see env.ts for the folder's overview).
export { readDistEnv, threadsPerProcess, firstSlurmHost, tasksOnNode, DEFAULT_MASTER_PORT, type DistEnv } from "./env.js";
export { DistributedContext, DistributedError, type GroupOptions } from "./group.js";
export { DistributedDataParallel, assignBuckets, type DDPOptions } from "./ddp.js";
export { convertSyncBatchNorm, revertSyncBatchNorm } from "./sync-batchnorm.js";
export { sumConfusionAcrossRanks } from "./metrics.js";
export { allreduceSumWithGrad } from "./functional.js";
export { launchLocalWorkers, watchLauncher, stripNproc, type LaunchOptions } from "./launch.js";
