// Fused Adam/AdamW and SGD steps (torch.optim's fused=True, which libtorch 1.13 lacks on the CPU).
// Written here because no library op does it: the foreach steps read and write every parameter,
// gradient and moment list by list (Adam eight times over, SGD with momentum and weight decay eleven
// times: 79 ms a step for DeepLabV3-ResNet50's 25 M parameters, against PyTorch's per-parameter loop's
// 26-32 ms, which keeps each small tensor in cache); one pass per element does the same update. Compiled with
// -fno-math-errno (CMakeLists.txt) so sqrt vectorises, once per ISA (target_clones). Results equal the
// foreach step's to float32 rounding, not bit for bit. The four tensors of a parameter must share one
// dense layout (channels-last weights included): the update is elementwise, so it runs over their
// storage in memory order.
#include <cmath>

#include <ATen/Parallel.h>

#include "common.h"

namespace cs {
namespace {

// One memory order: equal strides wherever the size is above 1 (a size-1 dimension's stride is arbitrary).
bool sameLayout(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (a.size(d) > 1 && a.stride(d) != b.stride(d)) return false;
  }
  return true;
}

struct AdamScalars {
  float lr, beta1, beta2, eps, weightDecay, stepSize, bias2Sqrt;
};

template <bool kDecoupled>
__attribute__((target_clones("avx512f", "avx2", "default")))
void adamElements(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                  int64_t begin, int64_t end, const AdamScalars s) {
  const float decay = 1.0f - s.lr * s.weightDecay, b1c = 1.0f - s.beta1, b2c = 1.0f - s.beta2;
  const float wd = s.weightDecay, beta1 = s.beta1, beta2 = s.beta2, eps = s.eps, stepSize = s.stepSize;
  const float bias2Sqrt = s.bias2Sqrt;
  for (int64_t i = begin; i < end; ++i) {
    const float pi = kDecoupled ? p[i] * decay : p[i];
    const float gi = kDecoupled ? g[i] : g[i] + wd * p[i];
    const float mi = m[i] * beta1 + b1c * gi;
    const float vi = v[i] * beta2 + b2c * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - stepSize * (mi / (std::sqrt(vi) / bias2Sqrt + eps));
  }
}

struct SgdScalars {
  float lr, momentum, dampening, weightDecay;
  bool nesterov, firstStep;
};

// torch.optim.SGD's update: d = g + wd p; b = d at the first step, else momentum b + (1 - dampening) d;
// p -= lr (nesterov ? d + momentum b : b). Without momentum, b is absent and p -= lr d.
__attribute__((target_clones("avx512f", "avx2", "default")))
void sgdElements(float* __restrict p, const float* __restrict g, float* __restrict b, int64_t begin, int64_t end,
                 const SgdScalars s) {
  const float lr = s.lr, momentum = s.momentum, keep = 1.0f - s.dampening, wd = s.weightDecay;
  for (int64_t i = begin; i < end; ++i) {
    const float d = wd != 0.0f ? g[i] + wd * p[i] : g[i];  // torch adds no decay term at 0 (0 x inf)
    if (b == nullptr) {
      p[i] = p[i] - lr * d;
      continue;
    }
    const float bi = s.firstStep ? d : b[i] * momentum + keep * d;
    b[i] = bi;
    p[i] = p[i] - lr * (s.nesterov ? d + momentum * bi : bi);
  }
}

// Each parameter with the tensors updated beside it: float32 CPU tensors of one shape and layout.
void checkFusable(const char* op, size_t k, const at::Tensor& param, std::initializer_list<const at::Tensor*> others) {
  TORCH_CHECK(param.is_non_overlapping_and_dense(), op, ": parameter ", k, " is not dense");
  for (const at::Tensor* t : others) {
    TORCH_CHECK(t->device().is_cpu() && t->scalar_type() == at::kFloat && sameLayout(*t, param),
                op, ": parameter ", k, ": its tensors must be float32 CPU tensors of one shape and layout");
  }
}

}  // namespace

// sgdFused_(params[], grads[], momentumBuffers[] (empty without momentum), lr, momentum, dampening,
// weightDecay, nesterov, firstStep)
DEF(sgdFused_) {
  std::vector<at::Tensor> ps = tensorList(info, 0), gs = tensorList(info, 1), bs = tensorList(info, 2);
  const SgdScalars s{static_cast<float>(num(info, 3)), static_cast<float>(num(info, 4)),
                     static_cast<float>(num(info, 5)), static_cast<float>(num(info, 6)), flag(info, 7), flag(info, 8)};
  const bool withMomentum = s.momentum != 0.0f;
  TORCH_CHECK(gs.size() == ps.size() && bs.size() == (withMomentum ? ps.size() : 0),
              "sgdFused_: the lists differ in length");
  for (size_t k = 0; k < ps.size(); ++k) {
    if (withMomentum) {
      checkFusable("sgdFused_", k, ps[k], {&ps[k], &gs[k], &bs[k]});
    } else {
      checkFusable("sgdFused_", k, ps[k], {&ps[k], &gs[k]});
    }
    float* p = ps[k].data_ptr<float>();
    float* b = withMomentum ? bs[k].data_ptr<float>() : nullptr;
    const float* g = gs[k].data_ptr<float>();
    at::parallel_for(0, ps[k].numel(), 32768, [&](int64_t begin, int64_t end) { sgdElements(p, g, b, begin, end, s); });
  }
  return undef(info);
}

// adamFused_(params[], grads[], expAvg[], expAvgSq[], lr, beta1, beta2, eps, weightDecay, step, decoupled)
DEF(adamFused_) {
  std::vector<at::Tensor> ps = tensorList(info, 0), gs = tensorList(info, 1), ms = tensorList(info, 2),
                          vs = tensorList(info, 3);
  const double lr = num(info, 4), beta1 = num(info, 5), beta2 = num(info, 6), step = num(info, 9);
  const AdamScalars s{static_cast<float>(lr), static_cast<float>(beta1), static_cast<float>(beta2),
                      static_cast<float>(num(info, 7)), static_cast<float>(num(info, 8)),
                      static_cast<float>(lr / (1.0 - std::pow(beta1, step))),
                      static_cast<float>(std::sqrt(1.0 - std::pow(beta2, step)))};
  const bool decoupled = flag(info, 10);
  TORCH_CHECK(gs.size() == ps.size() && ms.size() == ps.size() && vs.size() == ps.size(),
              "adamFused_: the four lists differ in length");
  for (size_t k = 0; k < ps.size(); ++k) {
    checkFusable("adamFused_", k, ps[k], {&ps[k], &gs[k], &ms[k], &vs[k]});
    float *p = ps[k].data_ptr<float>(), *m = ms[k].data_ptr<float>(), *v = vs[k].data_ptr<float>();
    const float* g = gs[k].data_ptr<float>();
    at::parallel_for(0, ps[k].numel(), 32768, [&](int64_t begin, int64_t end) {
      if (decoupled) {
        adamElements<true>(p, g, m, v, begin, end, s);
      } else {
        adamElements<false>(p, g, m, v, begin, end, s);
      }
    });
  }
  return undef(info);
}

void registerOptim(Napi::Env env, Napi::Object exports) {
  REG(adamFused_);
  REG(sgdFused_);
}

}  // namespace cs
