// Neural-network functional ops (PyTorch's torch.nn.functional): convolutions, normalisation,
// activations, pooling, resampling, losses. Each maps to the ATen op F.* itself calls, so results
// and gradients match PyTorch exactly.
#include "common.h"

namespace cs {

static int64_t reductionArg(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return at::Reduction::Mean;
  int64_t r = i64(info, i);  // 0 none, 1 mean, 2 sum (at::Reduction's codes)
  if (r < 0 || r > 2) throwArg(info, i, "a reduction code (0 none, 1 mean, 2 sum)");
  return r;
}

// conv2d(x, w, b|null, stride[2], padding[2], dilation[2], groups); the same sums as at::conv2d, with some
// dilated convolutions' backward routed around oneDNN's gemm fallback (native/src/conv_backward.cc).
DEF(conv2d) {
  RET(conv2dForTraining(T(info, 0), T(info, 1), OT(info, 2), ints(info, 3), ints(info, 4), ints(info, 5),
                        i64(info, 6)));
}
// conv2dSame: padding="same" (PyTorch's string padding)
DEF(conv2dSame) {
  RET(at::conv2d(T(info, 0), T(info, 1), OT(info, 2), ints(info, 3), c10::string_view("same"), ints(info, 4),
                 i64(info, 5)));
}
// convTranspose2d(x, w, b|null, stride, padding, outputPadding, groups, dilation)
DEF(convTranspose2d) {
  RET(at::conv_transpose2d(T(info, 0), T(info, 1), OT(info, 2), ints(info, 3), ints(info, 4), ints(info, 5),
                           i64(info, 6), ints(info, 7)));
}
DEF(linear) { RET(at::linear(T(info, 0), T(info, 1), OT(info, 2))); }

// batchNorm(x, runningMean|null, runningVar|null, weight|null, bias|null, training, momentum, eps)
DEF(batchNorm) {
  RET(at::batch_norm(T(info, 0), OT(info, 3), OT(info, 4), OT(info, 1), OT(info, 2), flag(info, 5), num(info, 6),
                     num(info, 7), at::globalContext().userEnabledCuDNN()));
}
// groupNorm(x, groups, weight|null, bias|null, eps)
DEF(groupNorm) {
  RET(at::group_norm(T(info, 0), i64(info, 1), OT(info, 2), OT(info, 3), num(info, 4),
                     at::globalContext().userEnabledCuDNN()));
}
// layerNorm(x, normalizedShape, weight|null, bias|null, eps)
DEF(layerNorm) {
  RET(at::layer_norm(T(info, 0), ints(info, 1), OT(info, 2), OT(info, 3), num(info, 4),
                     at::globalContext().userEnabledCuDNN()));
}

DEF(leakyRelu) { RET(at::leaky_relu(T(info, 0), S(info, 1))); }
DEF(gelu) { RET(at::gelu(T(info, 0), flag(info, 1) ? "tanh" : "none")); }
DEF(silu) { RET(at::silu(T(info, 0))); }
DEF(softmax) { RET(at::softmax(T(info, 0), i64(info, 1))); }
DEF(logSoftmax) { RET(at::log_softmax(T(info, 0), i64(info, 1))); }

// maxPool2d(x, kernel[2], stride[2], padding[2], dilation[2], ceilMode)
DEF(maxPool2d) {
  RET(at::max_pool2d(T(info, 0), ints(info, 1), ints(info, 2), ints(info, 3), ints(info, 4), flag(info, 5)));
}
// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride|null)
DEF(avgPool2d) {
  c10::optional<int64_t> div = isNullish(info, 6) ? c10::nullopt : c10::optional<int64_t>(i64(info, 6));
  RET(at::avg_pool2d(T(info, 0), ints(info, 1), ints(info, 2), ints(info, 3), flag(info, 4), flag(info, 5), div));
}
DEF(adaptiveAvgPool2d) { RET(at::adaptive_avg_pool2d(T(info, 0), ints(info, 1))); }
DEF(adaptiveMaxPool2d) { RET(std::get<0>(at::adaptive_max_pool2d(T(info, 0), ints(info, 1)))); }

// interpolate(x, size[2]|null, scale[2]|null, mode 0 nearest / 1 bilinear / 2 bicubic, alignCorners)
// Same call F.interpolate makes: the scale factors (when given) also drive the coordinate mapping.
DEF(interpolate) {
  const at::Tensor& x = T(info, 0);
  c10::optional<std::vector<int64_t>> size;
  c10::optional<std::vector<double>> scales;
  if (!isNullish(info, 1)) size = ints(info, 1);
  if (!isNullish(info, 2)) {
    Napi::Array a = info[2].As<Napi::Array>();
    scales = std::vector<double>{a.Get(0u).As<Napi::Number>().DoubleValue(), a.Get(1u).As<Napi::Number>().DoubleValue()};
  }
  int64_t mode = i64(info, 3);
  if (size && scales) {
    // Both: the output has `size`, the scales drive the coordinate mapping (ATen's own signature;
    // the optional-array overloads below accept only one of the two).
    const std::vector<int64_t>& o = *size;
    const double sh = (*scales)[0], sw = (*scales)[1];
    if (mode == 0) RET(at::upsample_nearest2d(x, o, sh, sw));
    if (mode == 1) RET(at::upsample_bilinear2d(x, o, flag(info, 4), sh, sw));
    if (mode == 2) RET(at::upsample_bicubic2d(x, o, flag(info, 4), sh, sw));
  }
  at::OptionalIntArrayRef sz = size ? at::OptionalIntArrayRef(*size) : c10::nullopt;
  c10::optional<at::ArrayRef<double>> sc = scales ? c10::optional<at::ArrayRef<double>>(*scales) : c10::nullopt;
  if (mode == 0) RET(at::upsample_nearest2d(x, sz, sc));
  if (mode == 1) RET(at::upsample_bilinear2d(x, sz, flag(info, 4), sc));
  if (mode == 2) RET(at::upsample_bicubic2d(x, sz, flag(info, 4), sc));
  throwArg(info, 3, "an interpolation mode code (0 nearest, 1 bilinear, 2 bicubic)");
}

DEF(affineGrid) { RET(at::affine_grid_generator(T(info, 0), ints(info, 1), flag(info, 2))); }
// gridSample(x, grid, mode 0 bilinear / 1 nearest / 2 bicubic, padding 0 zeros / 1 border / 2 reflection, alignCorners)
DEF(gridSample) { RET(at::grid_sampler(T(info, 0), T(info, 1), i64(info, 2), i64(info, 3), flag(info, 4))); }

DEF(oneHot) { RET(at::one_hot(T(info, 0), isNullish(info, 1) ? -1 : i64(info, 1))); }

// crossEntropy(logits, target, weight|null, reduction, ignoreIndex, labelSmoothing)
DEF(crossEntropy) {
  RET(at::cross_entropy_loss(T(info, 0), T(info, 1), OT(info, 2), reductionArg(info, 3),
                             isNullish(info, 4) ? -100 : i64(info, 4), isNullish(info, 5) ? 0.0 : num(info, 5)));
}
// nllLoss(logProbs, target, weight|null, reduction, ignoreIndex)
DEF(nllLoss) {
  RET(at::nll_loss_nd(T(info, 0), T(info, 1), OT(info, 2), reductionArg(info, 3),
                      isNullish(info, 4) ? -100 : i64(info, 4)));
}
DEF(mseLoss) { RET(at::mse_loss(T(info, 0), T(info, 1), reductionArg(info, 2))); }
DEF(l1Loss) { RET(at::l1_loss(T(info, 0), T(info, 1), reductionArg(info, 2))); }
DEF(smoothL1Loss) { RET(at::smooth_l1_loss(T(info, 0), T(info, 1), reductionArg(info, 2), num(info, 3))); }
// binaryCrossEntropyWithLogits(x, y, weight|null, posWeight|null, reduction)
DEF(binaryCrossEntropyWithLogits) {
  RET(at::binary_cross_entropy_with_logits(T(info, 0), T(info, 1), OT(info, 2), OT(info, 3), reductionArg(info, 4)));
}

void registerNN(Napi::Env env, Napi::Object exports) {
  REG(conv2d); REG(conv2dSame); REG(convTranspose2d); REG(linear); REG(batchNorm); REG(groupNorm);
  REG(layerNorm); REG(leakyRelu); REG(gelu); REG(silu); REG(softmax); REG(logSoftmax); REG(maxPool2d);
  REG(avgPool2d); REG(adaptiveAvgPool2d); REG(adaptiveMaxPool2d); REG(interpolate); REG(affineGrid);
  REG(gridSample); REG(oneHot); REG(crossEntropy); REG(nllLoss); REG(mseLoss); REG(l1Loss); REG(smoothL1Loss);
  REG(binaryCrossEntropyWithLogits);
}

}  // namespace cs
