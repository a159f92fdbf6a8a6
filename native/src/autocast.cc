// Autocast (torch.autocast): the per-thread switch, and the one change we make to libtorch 1.13's CPU
// policy, bilinear upsampling in float32 (below).
#include "common.h"

#include <ATen/autocast_mode.h>
#include <torch/library.h>

namespace cs {

// autocastEnter(device "cpu"|"cuda", dtype) turns it on and returns the previous state as
// [enabled, dtype]; autocastExit(device, enabled, dtype) restores it and, leaving the outermost
// region, clears the cache of down-cast weights (torch.autocast.__exit__), so a weight that the
// optimiser has since updated is never used through a stale copy.
DEF(autocastEnter) {
  bool cuda = str(info, 0) == "cuda";
  at::ScalarType dtype = dtypeArg(info, 1);
  Napi::Array prev = Napi::Array::New(ENV, 2);
  prev.Set(0u, Napi::Boolean::New(ENV, cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled()));
  prev.Set(1u, Napi::Number::New(ENV, static_cast<double>(cuda ? at::autocast::get_autocast_gpu_dtype()
                                                                 : at::autocast::get_autocast_cpu_dtype())));
  if (cuda) {
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
  at::autocast::increment_nesting();
  return prev;
}
DEF(autocastExit) {
  bool cuda = str(info, 0) == "cuda";
  at::ScalarType dtype = dtypeArg(info, 2);
  if (cuda) {
    at::autocast::set_enabled(flag(info, 1));
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(flag(info, 1));
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  return undef(info);
}

namespace {

// libtorch 1.13's CPU autocast has no rule for bilinear upsampling, so under bfloat16 autocast it
// runs ATen's bfloat16 kernels, several times slower on CPU than the float32 ones (this project's
// machine, channels-last, backward alone: ASPP features 8x256x10x10 -> 40x40 7.5 ms against 1.9 ms,
// logits 8x4x40x40 -> 160x160 16.6 against 2.8 ms, aux logits 8x4x10x10 -> 160x160 14.8 against
// 4.0 ms: about a tenth of an acdc-cpu step). We give it autocast's float32 rule, as torch does for
// the ops on its float32 list: the input is cast to float32 and the result is float32 (the logits then
// leave the network in float32). CUDA's policy is left as libtorch ships it.
at::Tensor upsampleBilinear2dFloat32(const at::Tensor& self, at::IntArrayRef outputSize, bool alignCorners,
                                     c10::optional<double> scalesH, c10::optional<double> scalesW) {
  c10::impl::ExcludeDispatchKeyGuard noAutocast(c10::DispatchKey::AutocastCPU);
  return at::upsample_bilinear2d(at::autocast::cached_cast(at::kFloat, self, c10::DeviceType::CPU), outputSize,
                                 alignCorners, scalesH, scalesW);
}

at::Tensor upsampleBilinear2dVecFloat32(const at::Tensor& input, at::OptionalIntArrayRef outputSize, bool alignCorners,
                                        c10::optional<at::ArrayRef<double>> scaleFactors) {
  c10::impl::ExcludeDispatchKeyGuard noAutocast(c10::DispatchKey::AutocastCPU);
  return at::upsample_bilinear2d(at::autocast::cached_cast(at::kFloat, input, c10::DeviceType::CPU), outputSize,
                                 alignCorners, scaleFactors);
}

}  // namespace

void registerAutocast(Napi::Env env, Napi::Object exports) {
  REG(autocastEnter); REG(autocastExit);
}

}  // namespace cs

TORCH_LIBRARY_IMPL(aten, AutocastCPU, m) {
  m.impl("upsample_bilinear2d", TORCH_FN(cs::upsampleBilinear2dFloat32));
  m.impl("upsample_bilinear2d.vec", TORCH_FN(cs::upsampleBilinear2dVecFloat32));
}
