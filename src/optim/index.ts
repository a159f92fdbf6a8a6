// Public surface of src/optim, like torch.optim: `new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })`.
export { Optimizer, type OptimizerMeta, type OptimizerStateDict, type ParamGroup, type ParamState, type ParamsInput, type Hyper } from "./optimizer.js";
export { SGD, type SGDHyper } from "./sgd.js";
export { Adam, AdamW, type AdamHyper, type AdamOptions } from "./adam.js";
