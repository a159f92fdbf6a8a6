// Shared plumbing for the cardioseg addon: how a libtorch tensor is boxed into a JS external,
// how arguments are read (fast, no string dispatch), how libtorch errors become JS Errors, and
// the REG/DEF macros each op file uses to define and export its functions.
//
// native/ owns the N-API addon over libtorch (ATen). Every exported function is a thin, direct
// wrapper of one ATen call, except where a file says why it is not (onednn.cc, optim.cc's fused
// steps, conv_backward.cc); the TypeScript layer (src/tensor) adds names, defaults and scopes.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cs {

constexpr uint32_t kTensorMagic = 0x54534e52u;     // guards against foreign externals
constexpr uint32_t kGeneratorMagic = 0x47454e52u;

struct Box {
  uint32_t magic;
};

// One JS-visible reference to a tensor. `bytes` is what was reported to V8 and memoryStats.
struct TensorBox : Box {
  at::Tensor t;
  int64_t bytes = 0;
};

struct GeneratorBox : Box {
  at::Generator g;
};

// Process-wide live-tensor accounting (atomics: worker threads share the process).
struct Stats {
  std::atomic<int64_t> live{0};
  std::atomic<int64_t> bytes{0};
};
Stats& stats();

// Bytes a handle accounts for: its own extent, capped by its storage (views and expands do not
// claim more than the memory that really exists behind them).
inline int64_t accountedBytes(const at::Tensor& t) {
  int64_t own = t.numel() * static_cast<int64_t>(t.element_size());
  if (t.has_storage()) {
    int64_t st = static_cast<int64_t>(t.storage().nbytes());
    if (st < own) return st;
  }
  return own;
}

void finalizeTensor(napi_env env, void* data, void* hint);

// Boxes `t` into a new JS external (the only JS object an op creates).
inline Napi::Value wrap(Napi::Env env, at::Tensor t) {
  auto* b = new TensorBox();
  b->magic = kTensorMagic;
  b->bytes = t.defined() ? accountedBytes(t) : 0;
  b->t = std::move(t);
  napi_value out;
  if (napi_create_external(env, b, finalizeTensor, nullptr, &out) != napi_ok) {
    delete b;
    throw Napi::Error::New(env, "cardioseg: could not allocate a tensor handle");
  }
  Stats& s = stats();
  s.live.fetch_add(1, std::memory_order_relaxed);
  s.bytes.fetch_add(b->bytes, std::memory_order_relaxed);
  int64_t ignored;
  if (b->bytes > 0) napi_adjust_external_memory(env, b->bytes, &ignored);
  return Napi::Value(env, out);
}

// Frees the tensor behind a box now (dispose); the box itself goes with the external's finalizer.
void releaseBox(napi_env env, TensorBox* b);

[[noreturn]] void throwArg(const Napi::CallbackInfo& info, size_t i, const std::string& what);
[[noreturn]] void throwBadTensor(const Napi::CallbackInfo& info, size_t i);

inline TensorBox* boxArg(const Napi::CallbackInfo& info, size_t i) {
  void* p = nullptr;
  if (i >= info.Length() || napi_get_value_external(info.Env(), info[i], &p) != napi_ok || p == nullptr ||
      static_cast<Box*>(p)->magic != kTensorMagic) {
    throwBadTensor(info, i);
  }
  return static_cast<TensorBox*>(p);
}

// A required tensor argument (throws a clear Error for a disposed or foreign value).
inline const at::Tensor& T(const Napi::CallbackInfo& info, size_t i) {
  TensorBox* b = boxArg(info, i);
  if (!b->t.defined()) throwBadTensor(info, i);
  return b->t;
}

// Mutable access for in-place ops.
inline at::Tensor& TM(const Napi::CallbackInfo& info, size_t i) {
  TensorBox* b = boxArg(info, i);
  if (!b->t.defined()) throwBadTensor(info, i);
  return b->t;
}

inline bool isNullish(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) return true;
  napi_valuetype ty;
  napi_typeof(info.Env(), info[i], &ty);
  return ty == napi_undefined || ty == napi_null;
}

// An optional tensor argument: undefined/null -> none.
inline c10::optional<at::Tensor> OT(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return c10::nullopt;
  return T(info, i);
}

inline double num(const Napi::CallbackInfo& info, size_t i) {
  double d;
  if (i >= info.Length() || napi_get_value_double(info.Env(), info[i], &d) != napi_ok) {
    throwArg(info, i, "a number");
  }
  return d;
}

inline int64_t i64(const Napi::CallbackInfo& info, size_t i) {
  double d = num(info, i);
  if (!std::isfinite(d) || std::nearbyint(d) != d) throwArg(info, i, "an integer");
  return static_cast<int64_t>(d);
}

inline bool flag(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return false;
  bool b;
  if (napi_get_value_bool(info.Env(), info[i], &b) != napi_ok) throwArg(info, i, "a boolean");
  return b;
}

// JS numbers become integer Scalars when integral, so int tensors stay int (as in Python).
inline at::Scalar S(const Napi::CallbackInfo& info, size_t i) {
  double d = num(info, i);
  if (std::nearbyint(d) == d && std::fabs(d) < 9.0e15) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

inline c10::optional<at::Scalar> OS(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return c10::nullopt;
  return S(info, i);
}

inline c10::optional<double> OD(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return c10::nullopt;
  return num(info, i);
}

std::vector<int64_t> ints(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> tensorList(const Napi::CallbackInfo& info, size_t i);
std::string str(const Napi::CallbackInfo& info, size_t i);

at::ScalarType dtypeArg(const Napi::CallbackInfo& info, size_t i);  // undefined -> float32
at::Device deviceArg(const Napi::CallbackInfo& info, size_t i);     // undefined -> cpu
at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t iDtype, size_t iDevice);
at::MemoryFormat memoryFormatArg(const Napi::CallbackInfo& info, size_t i);  // 0 contiguous, 1 channelsLast, 2 preserve
c10::optional<at::Generator> generatorArg(const Napi::CallbackInfo& info, size_t i);

inline Napi::Value undef(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
Napi::Value tensorArray(Napi::Env env, const std::vector<at::Tensor>& ts);

using Fn = Napi::Value (*)(const Napi::CallbackInfo&);

// Turns libtorch exceptions into JS Errors carrying libtorch's message; never lets one escape.
template <Fn F>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// The oneDNN kernels ("gemm:jit", "jit:avx512_core", ...) a float32 convolution's backward passes would run;
// empty strings where the addon was built without oneDNN (native/src/onednn.cc).
struct ConvBackwardImpls {
  std::string data, weights;
};
ConvBackwardImpls onednnConvBackwardImpls(const at::Tensor& x, const at::Tensor& w, at::IntArrayRef stride,
                                          at::IntArrayRef padding, at::IntArrayRef dilation);
// conv2d for training (native/src/conv_backward.cc): at::conv2d, except where oneDNN's backward would fall
// back to its gemm kernel.
at::Tensor conv2dForTraining(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                             at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups);

void registerCore(Napi::Env env, Napi::Object exports);
void registerMath(Napi::Env env, Napi::Object exports);
void registerShape(Napi::Env env, Napi::Object exports);
void registerNN(Napi::Env env, Napi::Object exports);
void registerRandom(Napi::Env env, Napi::Object exports);
void registerAutograd(Napi::Env env, Napi::Object exports);
void registerAutocast(Napi::Env env, Napi::Object exports);
void registerOnednn(Napi::Env env, Napi::Object exports);
void registerConvBackward(Napi::Env env, Napi::Object exports);
void registerShare(Napi::Env env, Napi::Object exports);
void registerOptim(Napi::Env env, Napi::Object exports);
void registerDistributed(Napi::Env env, Napi::Object exports);

}  // namespace cs

#define DEF(name) static Napi::Value fn_##name(const Napi::CallbackInfo& info)
#define REG(name) \
  exports.Set(#name, Napi::Function::New<::cs::guarded<fn_##name>>(env, #name, const_cast<char*>(#name)))
#define ENV info.Env()
#define RET(expr) return ::cs::wrap(info.Env(), (expr))
