// Public surface of src/nn; use it like torch.nn: `import * as nn from "../nn/index.js"`, then
// `new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })`, `nn.init.kaimingNormal_(w, …)`.
export { Module, snakeCase, type Layer, type LoadResult, type StateDict, type ToTarget } from "./module.js";
export { Parameter, isParameter } from "./parameter.js";
export {
  Conv2d, ConvTranspose2d, packConvolutions_, pair, type Conv2dOptions, type ConvTranspose2dOptions, type Pair,
} from "./conv.js";
export { BatchNorm2d, GroupNorm, type BatchNormOptions } from "./norm.js";
export { ReLU, Identity, Dropout, Dropout2d } from "./activation.js";
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from "./pooling.js";
export { Linear, Flatten } from "./linear.js";
export { Sequential, ModuleList } from "./container.js";
export { foldBatchNorm_, fuseConvBn_, isFoldable, type ConvBnPairs } from "./fold.js";
export * as init from "./init.js";
export { OnnxGraph, OnnxExportError, attr, layerToOnnx, type OnnxAttr, type OnnxInitializer, type OnnxLayer, type OnnxNode } from "./onnx.js";
