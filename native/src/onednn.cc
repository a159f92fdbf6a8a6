// Packed inference convolutions on oneDNN, the CPU engine libtorch itself runs convolutions on.
//
// Why this file calls oneDNN directly: libtorch 1.13 reaches oneDNN only through
// at::mkldnn_convolution, which (a) reorders the weights into oneDNN's blocked layout on every call
// (oneDNN's log counted 16 ms of a 207 ms acdc-cpu forward, batch 5 of 320x272, though packing alone
// measured no faster end to end: 198 against 197 ms) and (b) always asks for the direct algorithm,
// never oneDNN's Winograd F(4x4, 3x3) kernel, which runs the 3x3 stride-1 convolutions that dominate a
// ResNet/DeepLab forward in about half the time on an AVX-512 CPU (same machine, 64..512 channels: 2.7
// against 5.2 ms, 9.1 against 20.7 ms; that forward 139 against 197 ms). Neither is in libtorch's API
// for dense tensors (torch.utils.mkldnn's MkldnnConv2d prepacks, but only for opaque mkldnn tensors,
// and never picks Winograd). Inference only: no autograd, float32 on CPU.
//
// A pack holds a convolution's float32 weights and bias and, per input shape, the oneDNN primitive
// with its weights already in the layout it wants (built on first use, like libtorch's own primitive
// cache; shapes whose primitives want the same layout share the weights). Winograd's weight layout
// depends on the input size, and oneDNN's transform into it is slow (48 ms for a 512x512 layer, warm):
// a process's first forward, and some new sizes, pay it. Input and output are dense channels-last
// (NHWC) tensors; Winograd works on oneDNN's nChw16c blocks, so for it the input is reordered in and
// the output back (0.03-1.0 ms each way per convolution here). Compiled only where oneDNN's headers are
// found (CARDIOSEG_ONEDNN, see CMakeLists.txt); otherwise onednnAvailable() is false and the TypeScript
// side uses at::conv2d.
#include "common.h"

#ifdef CARDIOSEG_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <mutex>
#endif

namespace cs {

#ifdef CARDIOSEG_ONEDNN
namespace {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;
constexpr uint32_t kPackMagic = 0x434f4e56u;
constexpr size_t kPlansKept = 8;  // input shapes remembered per convolution (a volume run uses one or two)

dnnl::engine& cpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

// One input shape's primitive, with the weights in its layout.
struct Plan {
  memory::dims src;  // N, C, H, W
  memory::dims dst;
  dnnl::convolution_forward conv;
  memory weights;
  memory::desc srcDesc, dstDesc;  // the primitive's; blocked for Winograd
  bool blocked = false;
  std::string impl;
};

struct PackBox : Box {
  at::Tensor weight;  // OIHW float32, contiguous
  at::Tensor bias;    // [O] float32 or undefined
  int64_t stride[2], padding[2], dilation[2];
  bool winograd = false;
  std::vector<std::unique_ptr<Plan>> plans;
  std::string lastImpl;
  std::mutex mutex;  // plans are built lazily; a pack may be shared by worker threads
  int64_t bytes = 0;  // packed weights reported to V8
};

void finalizePack(napi_env env, void* data, void* /*hint*/) {
  auto* b = static_cast<PackBox*>(data);
  int64_t ignored;
  if (b->bytes > 0) napi_adjust_external_memory(env, -b->bytes, &ignored);
  delete b;
}

PackBox* packArg(const Napi::CallbackInfo& info, size_t i) {
  void* p = nullptr;
  if (i >= info.Length() || napi_get_value_external(info.Env(), info[i], &p) != napi_ok || p == nullptr ||
      static_cast<Box*>(p)->magic != kPackMagic) {
    throwArg(info, i, "a packed convolution");
  }
  return static_cast<PackBox*>(p);
}

memory::desc tensorDesc(const at::Tensor& t) {
  return memory::desc(memory::dims(t.sizes().begin(), t.sizes().end()), memory::data_type::f32,
                      memory::dims(t.strides().begin(), t.strides().end()));
}

bool isWinogradShape(const PackBox& p) {
  return p.weight.size(2) == 3 && p.weight.size(3) == 3 && p.stride[0] == 1 && p.stride[1] == 1 &&
         p.dilation[0] == 1 && p.dilation[1] == 1;
}

dnnl::convolution_forward::primitive_desc describe(const PackBox& p, const memory::dims& src, const memory::dims& dst,
                                                   dnnl::algorithm alg, Tag layout) {
  const memory::dims wdims(p.weight.sizes().begin(), p.weight.sizes().end());
  memory::desc bias = p.bias.defined() ? memory::desc({p.weight.size(0)}, memory::data_type::f32, Tag::x)
                                       : memory::desc();
  // oneDNN counts dilation from 0 (PyTorch's 1 is its 0).
  dnnl::convolution_forward::desc d(
      dnnl::prop_kind::forward_inference, alg, memory::desc(src, memory::data_type::f32, layout),
      memory::desc(wdims, memory::data_type::f32, Tag::any), bias, memory::desc(dst, memory::data_type::f32, layout),
      {p.stride[0], p.stride[1]}, {p.dilation[0] - 1, p.dilation[1] - 1}, {p.padding[0], p.padding[1]},
      {p.padding[0], p.padding[1]});
  return dnnl::convolution_forward::primitive_desc(d, cpuEngine());
}

std::unique_ptr<Plan> makePlan(PackBox& p, const memory::dims& src, const memory::dims& dst) {
  auto plan = std::make_unique<Plan>();
  plan->src = src;
  plan->dst = dst;
  dnnl::convolution_forward::primitive_desc pd;
  bool haveWinograd = false;
  if (p.winograd && isWinogradShape(p)) {
    try {  // only some CPUs have a Winograd kernel (oneDNN: AVX-512); elsewhere it throws "unimplemented"
      pd = describe(p, src, dst, dnnl::algorithm::convolution_winograd, Tag::nChw16c);
      haveWinograd = true;
    } catch (const dnnl::error&) {
    }
  }
  if (!haveWinograd) pd = describe(p, src, dst, dnnl::algorithm::convolution_direct, Tag::nhwc);
  plan->blocked = haveWinograd;
  plan->conv = dnnl::convolution_forward(pd);
  plan->srcDesc = pd.src_desc();
  plan->dstDesc = pd.dst_desc();
  plan->impl = pd.impl_info_str();
  // The weights, reordered once into the primitive's layout; another shape whose primitive wants the
  // same layout shares them.
  for (const auto& other : p.plans) {
    if (other->weights.get_desc() == pd.weights_desc()) plan->weights = other->weights;
  }
  if (!plan->weights) {
    dnnl::stream s(cpuEngine());
    memory user(tensorDesc(p.weight), cpuEngine(), p.weight.data_ptr());
    plan->weights = memory(pd.weights_desc(), cpuEngine());
    dnnl::reorder(user, plan->weights).execute(s, user, plan->weights);
    s.wait();
  }
  return plan;
}

Plan& planFor(PackBox& p, const memory::dims& src, const memory::dims& dst) {
  for (auto& plan : p.plans) {
    if (plan->src == src) return *plan;
  }
  if (p.plans.size() >= kPlansKept) p.plans.erase(p.plans.begin());
  p.plans.push_back(makePlan(p, src, dst));
  return *p.plans.back();
}

int64_t outSize(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
}

}  // namespace

// The kernels oneDNN picks for a float32 convolution's backward-data and backward-weights passes, asked as
// libtorch's mkldnn convolution asks (activations in the input's layout, weights in any): see
// native/src/conv_backward.cc, which routes around its gemm fallback.
ConvBackwardImpls onednnConvBackwardImpls(const at::Tensor& x, const at::Tensor& w, at::IntArrayRef stride,
                                          at::IntArrayRef padding, at::IntArrayRef dilation) {
  const Tag layout = x.is_contiguous(at::MemoryFormat::ChannelsLast) ? Tag::nhwc : Tag::nchw;
  const memory::dims src(x.sizes().begin(), x.sizes().end()), wdims(w.sizes().begin(), w.sizes().end());
  memory::dims dst{x.size(0), w.size(0), 0, 0}, strides(2), dil(2), padL(2), padR(2);
  for (int i = 0; i < 2; i++) {
    dst[2 + i] = outSize(x.size(2 + i), w.size(2 + i), stride[i], padding[i], dilation[i]);
    strides[i] = stride[i];
    dil[i] = dilation[i] - 1;  // oneDNN counts dilation from 0
    padL[i] = padding[i];
    padR[i] = (dst[2 + i] - 1) * stride[i] + (w.size(2 + i) - 1) * dilation[i] + 1 - x.size(2 + i) - padding[i];
  }
  const auto f32 = memory::data_type::f32;
  const auto alg = dnnl::algorithm::convolution_direct;
  try {
    const memory::desc srcMd(src, f32, layout), dstMd(dst, f32, layout), weiMd(wdims, f32, Tag::any);
    dnnl::convolution_forward::primitive_desc hint(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, srcMd, weiMd, dstMd, strides, dil,
                                        padL, padR),
        cpuEngine());
    dnnl::convolution_backward_data::primitive_desc data(
        dnnl::convolution_backward_data::desc(alg, srcMd, weiMd, dstMd, strides, dil, padL, padR), cpuEngine(), hint);
    dnnl::convolution_backward_weights::primitive_desc weights(
        dnnl::convolution_backward_weights::desc(alg, srcMd, weiMd, dstMd, strides, dil, padL, padR), cpuEngine(),
        hint);
    return {data.impl_info_str(), weights.impl_info_str()};
  } catch (const dnnl::error&) {
    return {};  // a shape oneDNN refuses: libtorch's own convolution decides what happens
  }
}

// convPack(weight [O, I, kH, kW], bias [O] | null, stride[2], padding[2], dilation[2], winograd): float32 CPU
// weights (copied: the pack does not follow later changes to them), groups 1.
DEF(convPack) {
  const at::Tensor& w = T(info, 0);
  c10::optional<at::Tensor> b = OT(info, 1);
  auto stride = ints(info, 2), padding = ints(info, 3), dilation = ints(info, 4);
  if (w.dim() != 4 || w.scalar_type() != at::kFloat || !w.device().is_cpu()) {
    throwArg(info, 0, "a 4-D float32 CPU weight");
  }
  if (b && (b->dim() != 1 || b->size(0) != w.size(0) || b->scalar_type() != at::kFloat || !b->device().is_cpu())) {
    throwArg(info, 1, "a float32 CPU bias with one value per output channel, or null");
  }
  if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2) throwArg(info, 2, "[h, w] pairs");
  auto* p = new PackBox();
  p->magic = kPackMagic;
  // One copy each, OIHW: the only source layout Winograd's weight reorder takes.
  p->weight = w.detach().clone(at::MemoryFormat::Contiguous);
  if (b) p->bias = b->detach().clone(at::MemoryFormat::Contiguous);
  for (int i = 0; i < 2; i++) {
    p->stride[i] = stride[i];
    p->padding[i] = padding[i];
    p->dilation[i] = dilation[i];
  }
  p->winograd = flag(info, 5);
  p->bytes = p->weight.numel() * 4;
  int64_t ignored;
  napi_adjust_external_memory(ENV, p->bytes, &ignored);
  napi_value out;
  napi_create_external(ENV, p, finalizePack, nullptr, &out);
  return Napi::Value(ENV, out);
}

// convPacked(pack, x [N, I, H, W] float32 CPU) -> [N, O, OH, OW] channels-last.
DEF(convPacked) {
  PackBox& p = *packArg(info, 0);
  at::Tensor x = T(info, 1);
  const at::Tensor& w = p.weight;
  if (x.dim() != 4 || x.scalar_type() != at::kFloat || !x.device().is_cpu() || x.size(1) != w.size(1)) {
    throwArg(info, 1, "a float32 CPU tensor [N, " + std::to_string(w.size(1)) + ", H, W]");
  }
  // One channel: NCHW and NHWC are the same bytes.
  if (!x.is_contiguous(at::MemoryFormat::ChannelsLast) && !(x.size(1) == 1 && x.is_contiguous())) {
    x = x.contiguous(at::MemoryFormat::ChannelsLast);
  }
  const memory::dims src{x.size(0), x.size(1), x.size(2), x.size(3)};
  const memory::dims dst{x.size(0), w.size(0), outSize(x.size(2), w.size(2), p.stride[0], p.padding[0], p.dilation[0]),
                         outSize(x.size(3), w.size(3), p.stride[1], p.padding[1], p.dilation[1])};
  if (dst[2] < 1 || dst[3] < 1) throwArg(info, 1, "an input at least as large as the convolution's receptive field");
  at::Tensor y = at::empty({dst[0], dst[1], dst[2], dst[3]}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
  if (y.numel() == 0) RET(y);  // an empty batch: nothing for oneDNN to run

  std::lock_guard<std::mutex> lock(p.mutex);
  Plan& plan = planFor(p, src, dst);
  dnnl::engine& eng = cpuEngine();
  dnnl::stream s(eng);
  memory userSrc({src, memory::data_type::f32, Tag::nhwc}, eng, x.data_ptr());
  memory userDst({dst, memory::data_type::f32, Tag::nhwc}, eng, y.data_ptr());
  memory srcMem = userSrc, dstMem = userDst;
  if (plan.blocked) {
    srcMem = memory(plan.srcDesc, eng);
    dstMem = memory(plan.dstDesc, eng);
    dnnl::reorder(userSrc, srcMem).execute(s, userSrc, srcMem);
  }
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, plan.weights}, {DNNL_ARG_DST, dstMem}};
  if (p.bias.defined()) args.emplace(DNNL_ARG_BIAS, memory({{w.size(0)}, memory::data_type::f32, Tag::x}, eng,
                                                           p.bias.data_ptr()));
  plan.conv.execute(s, args);
  if (plan.blocked) dnnl::reorder(dstMem, userDst).execute(s, dstMem, userDst);
  s.wait();
  p.lastImpl = plan.impl;
  RET(y);
}

// convPackImplementation(pack): the oneDNN kernel its last call ran (e.g. "jit_wino_4x3:avx512_core").
DEF(convPackImplementation) { return Napi::String::New(ENV, packArg(info, 0)->lastImpl); }

DEF(onednnAvailable) { return Napi::Boolean::New(ENV, true); }
#else
DEF(onednnAvailable) { return Napi::Boolean::New(ENV, false); }
ConvBackwardImpls onednnConvBackwardImpls(const at::Tensor&, const at::Tensor&, at::IntArrayRef, at::IntArrayRef,
                                          at::IntArrayRef) {
  return {};
}
#endif

void registerOnednn(Napi::Env env, Napi::Object exports) {
  REG(onednnAvailable);
#ifdef CARDIOSEG_ONEDNN
  REG(convPack); REG(convPacked); REG(convPackImplementation);
#endif
}

}  // namespace cs
