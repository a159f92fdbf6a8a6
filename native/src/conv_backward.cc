// The backward of dilated convolutions where oneDNN has no fast kernel for it.
//
// Why: for a 3x3 convolution whose dilation is large against its feature map (DeepLab's ASPP, rates 12 and
// 24 on ResNet-50 OS8's 32x32 map), oneDNN's backward-data (and, at rate 24, backward-weights) pass falls
// back to its im2col gemm kernel ("gemm:jit"), which multiplies the zero padding of all nine taps: oneDNN's
// log of one DeepLabV3-ResNet50 training step counted 323 of its 2053 ms there, against 51 ms for the same
// two convolutions' forward passes (brgconv, which skips taps outside the input). libtorch offers no other
// kernel, so here, for the passes oneDNN itself says would run on gemm (asked through
// onednnConvBackwardImpls), the gradients are computed another way, with the same sums:
//  - input: a forward convolution of the output gradient with the flipped, transposed weights (the
//    adjoint of a stride-1 convolution), which oneDNN runs on its direct kernels;
//  - weights: one matrix product per tap over the output rows and columns whose input lies inside the
//    image, so padding is never multiplied.
// Everything else (stride > 1, groups, no dilation, autocast, other dtypes, no gradient needed, an addon
// without oneDNN) runs at::conv2d as before.
#include "common.h"

#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <map>
#include <mutex>
#include <tuple>

namespace cs {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Route {
  bool dataAsForward = false;
  bool weightsByTaps = false;
  bool any() const { return dataAsForward || weightsByTaps; }
};

// oneDNN names it "gemm:jit" or "x64:gemm:jit" (its im2col + sgemm kernel).
bool isGemm(const std::string& impl) { return impl.find("gemm") != std::string::npos; }

// W [O, I, kh, kw] -> [I, O, kh, kw], flipped in both spatial dimensions, channels-last: the weights of the
// adjoint convolution. One 2-D transpose per tap (6 ms for ASPP's 256x2048x3x3; 20-30 ms as one 4-D
// permuted copy).
at::Tensor adjointWeights(const at::Tensor& w) {
  const int64_t O = w.size(0), I = w.size(1), kh = w.size(2), kw = w.size(3), taps = kh * kw;
  at::Tensor byTap = w.permute({0, 2, 3, 1}).reshape({O, taps, I});  // a view when w is channels-last
  at::Tensor out = at::empty({I, taps, O}, w.options());
  for (int64_t t = 0; t < taps; t++) out.select(1, taps - 1 - t).copy_(byTap.select(1, t).t());
  return out.view({I, kh, kw, O}).permute({0, 3, 1, 2});
}

// dL/dW of a stride-1 convolution, tap by tap: for tap (a, b) only the outputs whose input pixel lies
// inside the image contribute, so each is one [O, P] x [P, I] product over those P pixels.
at::Tensor weightGradByTaps(const at::Tensor& x, const at::Tensor& g, const at::Tensor& w, at::IntArrayRef padding,
                            at::IntArrayRef dilation) {
  const int64_t O = w.size(0), I = w.size(1), H = x.size(2), W = x.size(3), OH = g.size(2), OW = g.size(3);
  at::Tensor gw = at::zeros_like(w, w.suggest_memory_format());
  for (int64_t a = 0; a < w.size(2); a++) {
    const int64_t shiftY = a * dilation[0] - padding[0];  // input row = output row + shiftY
    const int64_t y0 = std::max<int64_t>(0, -shiftY), y1 = std::min(OH, H - shiftY);
    if (y1 <= y0) continue;
    for (int64_t b = 0; b < w.size(3); b++) {
      const int64_t shiftX = b * dilation[1] - padding[1];
      const int64_t x0 = std::max<int64_t>(0, -shiftX), x1 = std::min(OW, W - shiftX);
      if (x1 <= x0) continue;
      at::Tensor gr = g.slice(2, y0, y1).slice(3, x0, x1).permute({0, 2, 3, 1}).reshape({-1, O});
      at::Tensor xr = x.slice(2, y0 + shiftY, y1 + shiftY).slice(3, x0 + shiftX, x1 + shiftX)
                          .permute({0, 2, 3, 1}).reshape({-1, I});
      gw.select(3, b).select(2, a).copy_(at::mm(gr.t(), xr));
    }
  }
  return gw;
}

class RoutedConv2d : public torch::autograd::Function<RoutedConv2d> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            std::vector<int64_t> padding, std::vector<int64_t> dilation, bool dataAsForward,
                            bool weightsByTaps) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["dataAsForward"] = dataAsForward;
    ctx->saved_data["weightsByTaps"] = weightsByTaps;
    return at::conv2d(x, w, {}, {1, 1}, padding, dilation, 1);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1];
    const at::Tensor g = grads[0].contiguous(x.suggest_memory_format());
    const auto padding = ctx->saved_data["padding"].toIntVector();
    const auto dilation = ctx->saved_data["dilation"].toIntVector();
    const bool dataAsForward = ctx->saved_data["dataAsForward"].toBool();
    const bool weightsByTaps = ctx->saved_data["weightsByTaps"].toBool();
    const bool needX = ctx->needs_input_grad(0), needW = ctx->needs_input_grad(1);
    at::Tensor gx, gw;
    if (needX && dataAsForward) {
      std::vector<int64_t> adjointPadding(2);
      for (int i = 0; i < 2; i++) adjointPadding[i] = dilation[i] * (w.size(2 + i) - 1) - padding[i];
      // In g's layout: libtorch runs a convolution channels-last when either operand is.
      const at::Tensor adjoint = adjointWeights(w).contiguous(g.suggest_memory_format());
      gx = at::conv2d(g, adjoint, {}, {1, 1}, adjointPadding, dilation, 1);
    }
    if (needW && weightsByTaps) gw = weightGradByTaps(x, g, w, padding, dilation);
    const bool restX = needX && !gx.defined(), restW = needW && !gw.defined();
    if (restX || restW) {
      auto rest = at::convolution_backward(g, x, w, c10::nullopt, {1, 1}, padding, dilation, false, {0, 0}, 1,
                                           {restX, restW, false});
      if (restX) gx = std::get<0>(rest);
      if (restW) gw = std::get<1>(rest);
    }
    return {gx, gw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// Which passes to route for this call; the oneDNN query is asked once per shape.
Route routeFor(const at::Tensor& x, const at::Tensor& w, at::IntArrayRef stride, at::IntArrayRef padding,
               at::IntArrayRef dilation, int64_t groups) {
  if (!c10::GradMode::is_enabled() || !(x.requires_grad() || w.requires_grad())) return {};
  if (x.dim() != 4 || w.dim() != 4 || groups != 1 || !x.device().is_cpu()) return {};
  if (at::autocast::is_cpu_enabled()) return {};
  if (x.scalar_type() != at::kFloat || w.scalar_type() != at::kFloat || x.numel() == 0 || w.numel() == 0) return {};
  if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2) return {};
  if (stride[0] != 1 || stride[1] != 1 || (dilation[0] == 1 && dilation[1] == 1)) return {};
  if (x.size(1) != w.size(1)) return {};  // libtorch's convolution reports the mismatch
  for (int i = 0; i < 2; i++) {
    // The adjoint convolution needs padding <= dilation x (k - 1), and an output at least one pixel.
    if (padding[i] > dilation[i] * (w.size(2 + i) - 1)) return {};
    if (x.size(2 + i) + 2 * padding[i] - dilation[i] * (w.size(2 + i) - 1) < 1) return {};
  }
  using Key = std::tuple<std::vector<int64_t>, std::vector<int64_t>, std::vector<int64_t>, bool>;
  static std::mutex mutex;
  static std::map<Key, Route> known;
  const bool channelsLast = x.is_contiguous(at::MemoryFormat::ChannelsLast);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.insert(shape.end(), w.sizes().begin(), w.sizes().end());
  Key key{shape, padding.vec(), dilation.vec(), channelsLast};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = known.find(key);
  if (it != known.end()) return it->second;
  const ConvBackwardImpls impls = onednnConvBackwardImpls(x, w, stride, padding, dilation);
  Route r{isGemm(impls.data), isGemm(impls.weights)};
  if (known.size() >= 4096) known.clear();  // bounded, for runs whose input sizes keep changing
  known.emplace(key, r);
  return r;
}

}  // namespace

at::Tensor conv2dForTraining(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                             at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                             int64_t groups) {
  const Route r = routeFor(x, w, stride, padding, dilation, groups);
  if (!r.any()) return at::conv2d(x, w, b, stride, padding, dilation, groups);
  at::Tensor y = RoutedConv2d::apply(x, w, padding.vec(), dilation.vec(), r.dataAsForward, r.weightsByTaps);
  // The bias outside the Function (one more pass over the output; ASPP's convolutions have none).
  return b && b->defined() ? y + b->view({1, -1, 1, 1}) : y;
}

// conv2dBackwardRoute(x, w, stride, padding, dilation, groups) -> [dataAsForward, weightsByTaps]: which of a
// convolution's backward passes conv2d computes here rather than in libtorch (tests, benchmarks).
DEF(conv2dBackwardRoute) {
  const Route r = routeFor(T(info, 0), T(info, 1), ints(info, 2), ints(info, 3), ints(info, 4), i64(info, 5));
  Napi::Array out = Napi::Array::New(ENV, 2);
  out.Set(0u, Napi::Boolean::New(ENV, r.dataAsForward));
  out.Set(1u, Napi::Boolean::New(ENV, r.weightsByTaps));
  return out;
}

void registerConvBackward(Napi::Env env, Napi::Object exports) { REG(conv2dBackwardRoute); }

}  // namespace cs
