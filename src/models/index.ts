// Public surface of src/models.
export { DeepLabV3, defaultModelConfig, deeplabv3Resnet, validateModelConfig } from "./deeplab.js";
export type { DeepLabOutput, ModelConfig } from "./deeplab.js";
export { ResNet, BasicBlock, Bottleneck, replaceStrideWithDilation, multiGridRates } from "./resnet.js";
export type { BackboneFeatures, OnnxFeatures, OutputStride, ResNetDepth, ResNetOptions } from "./resnet.js";
export { ASPP, ASPPConv, ASPPPooling, defaultAtrousRates } from "./aspp.js";
export { DeepLabHead, DeepLabV3PlusHead, FCNHead } from "./heads.js";
export { makeNorm, defaultNorm } from "./norm.js";
export type { NormKind, NormOptions } from "./norm.js";
