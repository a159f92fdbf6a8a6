// Module entry, argument readers, tensor boxing/disposal, creation from values and buffers,
// conversion back to bytes, metadata, dtype/device moves, threads and CUDA queries.
#include "common.h"

#include <ATen/Parallel.h>
#include <cstring>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cs {

Stats& stats() {
  static Stats s;
  return s;
}

void releaseBox(napi_env env, TensorBox* b) {
  if (!b->t.defined()) return;
  b->t.reset();
  Stats& s = stats();
  s.live.fetch_sub(1, std::memory_order_relaxed);
  s.bytes.fetch_sub(b->bytes, std::memory_order_relaxed);
  int64_t ignored;
  if (b->bytes > 0) napi_adjust_external_memory(env, -b->bytes, &ignored);
  b->bytes = 0;
}

void finalizeTensor(napi_env env, void* data, void* /*hint*/) {
  auto* b = static_cast<TensorBox*>(data);
  releaseBox(env, b);
  delete b;
}

static std::string fnName(const Napi::CallbackInfo& info) {
  const char* name = static_cast<const char*>(info.Data());
  return name ? name : "cardioseg";
}

void throwArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  throw Napi::TypeError::New(info.Env(), fnName(info) + ": argument " + std::to_string(i + 1) + " must be " + what);
}

void throwBadTensor(const Napi::CallbackInfo& info, size_t i) {
  bool disposed = false;
  if (i < info.Length()) {
    napi_valuetype ty;
    napi_typeof(info.Env(), info[i], &ty);
    void* p = nullptr;
    disposed = ty == napi_null ||
               (ty == napi_external && napi_get_value_external(info.Env(), info[i], &p) == napi_ok && p != nullptr &&
                static_cast<Box*>(p)->magic == kTensorMagic && !static_cast<TensorBox*>(p)->t.defined());
  }
  if (disposed) {
    throw Napi::Error::New(info.Env(), fnName(info) + ": argument " + std::to_string(i + 1) +
                                           " is a Tensor that has already been disposed");
  }
  throwArg(info, i, "a Tensor");
}

std::vector<int64_t> ints(const Napi::CallbackInfo& info, size_t i) {
  std::vector<int64_t> out;
  if (i >= info.Length()) throwArg(info, i, "an array of integers");
  napi_env env = info.Env();
  napi_value v = info[i];
  bool isArray = false;
  napi_is_array(env, v, &isArray);
  if (!isArray) {
    out.push_back(i64(info, i));
    return out;
  }
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value e;
    double d;
    napi_get_element(env, v, k, &e);
    if (napi_get_value_double(env, e, &d) != napi_ok || !std::isfinite(d) || std::nearbyint(d) != d) {
      throwArg(info, i, "an array of integers");
    }
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

std::vector<at::Tensor> tensorList(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throwArg(info, i, "an array of Tensors");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    void* p = nullptr;
    if (napi_get_value_external(info.Env(), arr.Get(k), &p) != napi_ok || p == nullptr ||
        static_cast<Box*>(p)->magic != kTensorMagic) {
      throwArg(info, i, "an array of Tensors (element " + std::to_string(k) + " is not one)");
    }
    auto* b = static_cast<TensorBox*>(p);
    if (!b->t.defined()) {
      throw Napi::Error::New(info.Env(), fnName(info) + ": element " + std::to_string(k) + " of argument " +
                                             std::to_string(i + 1) + " is a Tensor that has already been disposed");
    }
    out.push_back(b->t);
  }
  return out;
}

std::string str(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString()) throwArg(info, i, "a string");
  return info[i].As<Napi::String>().Utf8Value();
}

at::ScalarType dtypeArg(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return at::kFloat;
  int64_t code = i64(info, i);
  switch (code) {
    case static_cast<int64_t>(at::kByte):
    case static_cast<int64_t>(at::kChar):
    case static_cast<int64_t>(at::kShort):
    case static_cast<int64_t>(at::kInt):
    case static_cast<int64_t>(at::kLong):
    case static_cast<int64_t>(at::kHalf):
    case static_cast<int64_t>(at::kFloat):
    case static_cast<int64_t>(at::kDouble):
    case static_cast<int64_t>(at::kBool):
    case static_cast<int64_t>(at::kBFloat16):
      return static_cast<at::ScalarType>(code);
    default:
      throwArg(info, i, "a supported dtype code");
  }
}

at::Device deviceArg(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return at::Device(at::kCPU);
  std::string s = str(info, i);
  bool known = s == "cpu" || s == "cuda" || s.rfind("cuda:", 0) == 0;
  if (!known) throw Napi::Error::New(info.Env(), "unknown device '" + s + "' (expected 'cpu', 'cuda' or 'cuda:N')");
  at::Device d(s);  // throws c10::Error for malformed indices
  if (d.is_cuda()) {
    int n = at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
    if (n == 0) {
      throw Napi::Error::New(info.Env(), "device '" + s + "' requested but CUDA is not available (libtorch " +
                                             (at::hasCUDA() ? "sees no GPU" : "was built without CUDA") + ")");
    }
    if (d.has_index() && d.index() >= n) {
      throw Napi::Error::New(info.Env(), "device '" + s + "' requested but only " + std::to_string(n) +
                                             " CUDA device(s) are visible");
    }
  }
  return d;
}

at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t iDtype, size_t iDevice) {
  return at::TensorOptions().dtype(dtypeArg(info, iDtype)).device(deviceArg(info, iDevice));
}

at::MemoryFormat memoryFormatArg(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return at::MemoryFormat::Contiguous;
  switch (i64(info, i)) {
    case 0: return at::MemoryFormat::Contiguous;
    case 1: return at::MemoryFormat::ChannelsLast;
    case 2: return at::MemoryFormat::Preserve;
    default: throwArg(info, i, "a memory format code (0 contiguous, 1 channelsLast, 2 preserve)");
  }
}

c10::optional<at::Generator> generatorArg(const Napi::CallbackInfo& info, size_t i) {
  if (isNullish(info, i)) return c10::nullopt;
  void* p = nullptr;
  if (napi_get_value_external(info.Env(), info[i], &p) != napi_ok || p == nullptr ||
      static_cast<Box*>(p)->magic != kGeneratorMagic) {
    throwArg(info, i, "a Generator");
  }
  return static_cast<GeneratorBox*>(p)->g;
}

Napi::Value tensorArray(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array arr = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); ++k) arr.Set(static_cast<uint32_t>(k), wrap(env, ts[k]));
  return arr;
}

// ---- lifetime & stats ----

DEF(dispose) {
  if (isNullish(info, 0)) return undef(info);
  releaseBox(info.Env(), boxArg(info, 0));
  return undef(info);
}

DEF(memoryStats) {
  Napi::Object o = Napi::Object::New(ENV);
  o.Set("liveTensors", static_cast<double>(stats().live.load()));
  o.Set("liveBytes", static_cast<double>(stats().bytes.load()));
  return o;
}

// ---- creation ----

DEF(zeros) { RET(at::zeros(ints(info, 0), optionsArg(info, 1, 2))); }
DEF(ones) { RET(at::ones(ints(info, 0), optionsArg(info, 1, 2))); }
DEF(empty) { RET(at::empty(ints(info, 0), optionsArg(info, 1, 2))); }
DEF(full) { RET(at::full(ints(info, 0), S(info, 1), optionsArg(info, 2, 3))); }
DEF(zerosLike) { RET(at::zeros_like(T(info, 0))); }
DEF(onesLike) { RET(at::ones_like(T(info, 0))); }
DEF(emptyLike) { RET(at::empty_like(T(info, 0))); }
DEF(fullLike) { RET(at::full_like(T(info, 0), S(info, 1))); }
DEF(arange) { RET(at::arange(S(info, 0), S(info, 1), S(info, 2), optionsArg(info, 3, 4))); }
DEF(linspace) { RET(at::linspace(S(info, 0), S(info, 1), i64(info, 2), optionsArg(info, 3, 4))); }
DEF(eye) { RET(at::eye(i64(info, 0), i64(info, 1), optionsArg(info, 2, 3))); }

static void bufferArg(const Napi::CallbackInfo& info, size_t i, void** data, size_t* bytes) {
  if (i < info.Length() && info[i].IsTypedArray()) {
    napi_typedarray_type ty;
    size_t len, offset;
    napi_value ab;
    napi_get_typedarray_info(info.Env(), info[i], &ty, &len, data, &ab, &offset);
    *bytes = info[i].As<Napi::TypedArray>().ByteLength();
    return;
  }
  if (i < info.Length() && info[i].IsArrayBuffer()) {
    Napi::ArrayBuffer ab = info[i].As<Napi::ArrayBuffer>();
    *data = ab.Data();
    *bytes = ab.ByteLength();
    return;
  }
  throwArg(info, i, "a TypedArray or ArrayBuffer");
}

// fromBuffer(bytes, dtype, shape, device): copies raw little-endian element bytes into a new tensor.
DEF(fromBuffer) {
  void* data;
  size_t bytes;
  bufferArg(info, 0, &data, &bytes);
  at::ScalarType dt = dtypeArg(info, 1);
  std::vector<int64_t> shape = ints(info, 2);
  at::Device dev = deviceArg(info, 3);
  int64_t numel = 1;
  for (int64_t s : shape) {
    if (s < 0) throwArg(info, 2, "a shape of non-negative sizes");
    numel *= s;
  }
  size_t want = static_cast<size_t>(numel) * at::elementSize(dt);
  if (want != bytes) {
    throw Napi::Error::New(ENV, "fromBuffer: shape [" + c10::Join(", ", shape) + "] of " + c10::toString(dt) +
                                    " needs " + std::to_string(want) + " bytes but the buffer holds " +
                                    std::to_string(bytes));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dt));
  if (want > 0) std::memcpy(t.data_ptr(), data, want);
  if (!dev.is_cpu()) t = t.to(dev);
  RET(t);
}

// toBuffer(t): an ArrayBuffer holding a contiguous CPU copy of the elements.
DEF(toBuffer) {
  at::Tensor c = T(info, 0).detach();
  if (!c.device().is_cpu()) c = c.to(at::kCPU);
  c = c.contiguous();
  size_t n = c.nbytes();
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(ENV, n);
  if (n > 0) std::memcpy(ab.Data(), c.data_ptr(), n);
  return ab;
}

// ---- metadata ----

DEF(shape) {
  const at::Tensor& t = T(info, 0);
  napi_value arr;
  napi_create_array_with_length(ENV, t.dim(), &arr);
  for (int64_t k = 0; k < t.dim(); ++k) {
    napi_value v;
    napi_create_double(ENV, static_cast<double>(t.size(k)), &v);
    napi_set_element(ENV, arr, static_cast<uint32_t>(k), v);
  }
  return Napi::Value(ENV, arr);
}
DEF(strides) {
  const at::Tensor& t = T(info, 0);
  Napi::Array arr = Napi::Array::New(ENV, t.dim());
  for (int64_t k = 0; k < t.dim(); ++k) arr.Set(static_cast<uint32_t>(k), static_cast<double>(t.stride(k)));
  return arr;
}
DEF(scalarType) { return Napi::Number::New(ENV, static_cast<int>(T(info, 0).scalar_type())); }
DEF(device) { return Napi::String::New(ENV, T(info, 0).device().str()); }
DEF(item) {
  const at::Tensor& t = T(info, 0);
  if (t.numel() != 1) {
    throw Napi::Error::New(ENV, "item: a Tensor with " + std::to_string(t.numel()) +
                                    " elements cannot be converted to a number");
  }
  return Napi::Number::New(ENV, t.item<double>());
}
DEF(isContiguous) { return Napi::Boolean::New(ENV, T(info, 0).is_contiguous(memoryFormatArg(info, 1))); }
DEF(dataPtr) {  // for tests: whether two tensors share memory
  return Napi::Number::New(ENV, static_cast<double>(reinterpret_cast<uintptr_t>(T(info, 0).data_ptr())));
}

// ---- moves & copies ----

// to(t, dtype|null, device|null, copy): one call for dtype and/or device moves.
DEF(to) {
  const at::Tensor& t = T(info, 0);
  at::ScalarType dt = isNullish(info, 1) ? t.scalar_type() : dtypeArg(info, 1);
  at::Device dev = isNullish(info, 2) ? t.device() : deviceArg(info, 2);
  RET(t.to(dev, dt, /*non_blocking=*/false, /*copy=*/flag(info, 3)));
}
// setData(t, src): `t` now holds `src`'s data (torch's `param.data = src`): the JS handle, the
// autograd identity (requires_grad, hooks, the optimiser's reference) stay; dtype/device may change.
DEF(setData) {
  TensorBox* b = boxArg(info, 0);
  if (!b->t.defined()) throwBadTensor(info, 0);
  b->t.set_data(T(info, 1));
  int64_t bytes = accountedBytes(b->t), delta = bytes - b->bytes;
  stats().bytes.fetch_add(delta, std::memory_order_relaxed);
  b->bytes = bytes;
  int64_t ignored;
  if (delta != 0) napi_adjust_external_memory(ENV, delta, &ignored);
  return undef(info);
}
// contiguous(t, format). With one channel, NCHW and channels-last memory are the same bytes and
// libtorch keeps the NCHW strides, which it then reads as NCHW: a single-channel image batch made
// channels-last would run the network's first convolution, BatchNorm, ReLU and max-pool in NCHW and
// reorder at the first channels-last layer (forward and, slower, backward). So for one channel we
// return a view with channels-last strides (stride 1 on C), which libtorch recognises.
DEF(contiguous) {
  at::MemoryFormat format = memoryFormatArg(info, 1);
  at::Tensor c = T(info, 0).contiguous(format);
  if (format == at::MemoryFormat::ChannelsLast && c.dim() == 4 && c.size(1) == 1 &&
      c.suggest_memory_format() != at::MemoryFormat::ChannelsLast) {
    c = c.contiguous().as_strided(c.sizes(), c10::get_channels_last_strides_2d(c.sizes()));
  }
  RET(std::move(c));
}
DEF(clone) { RET(T(info, 0).clone(isNullish(info, 1) ? at::MemoryFormat::Preserve : memoryFormatArg(info, 1))); }
DEF(toMemoryFormat) {
  const at::Tensor& t = T(info, 0);
  RET(t.to(t.options(), false, false, memoryFormatArg(info, 1)));
}

// ---- threads & devices ----

DEF(setNumThreads) {
  int64_t n = i64(info, 0);
  if (n < 1) throwArg(info, 0, "a positive integer");
  at::set_num_threads(static_cast<int>(n));
  return undef(info);
}
DEF(getNumThreads) { return Napi::Number::New(ENV, at::get_num_threads()); }
DEF(setNumInteropThreads) {
  // Settable once per process, before any inter-op work; later calls (e.g. in a worker) are no-ops.
  try {
    at::set_num_interop_threads(static_cast<int>(i64(info, 0)));
  } catch (const c10::Error&) {
  }
  return undef(info);
}
DEF(getNumInteropThreads) { return Napi::Number::New(ENV, at::get_num_interop_threads()); }
DEF(cudaDeviceCount) {
  return Napi::Number::New(ENV, at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
}
DEF(cudaSynchronize) {
  if (at::hasCUDA()) at::detail::getCUDAHooks().deviceSynchronize(isNullish(info, 0) ? 0 : i64(info, 0));
  return undef(info);
}
DEF(hasMKLDNN) { return Napi::Boolean::New(ENV, at::hasMKLDNN()); }
DEF(parallelInfo) { return Napi::String::New(ENV, at::get_parallel_info()); }
DEF(setFlushDenormal) { return Napi::Boolean::New(ENV, at::globalContext().setFlushDenormal(flag(info, 0))); }
// mallopt(param, value): glibc's allocator knob (M_TRIM_THRESHOLD -1, M_TOP_PAD -2, M_MMAP_THRESHOLD -3);
// false where it is refused or the C library is not glibc.
DEF(mallopt) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(ENV, ::mallopt(static_cast<int>(i64(info, 0)), static_cast<int>(i64(info, 1))) == 1);
#else
  return Napi::Boolean::New(ENV, false);
#endif
}

void registerCore(Napi::Env env, Napi::Object exports) {
  REG(dispose);
  REG(memoryStats);
  REG(zeros);
  REG(ones);
  REG(empty);
  REG(full);
  REG(zerosLike);
  REG(onesLike);
  REG(emptyLike);
  REG(fullLike);
  REG(arange);
  REG(linspace);
  REG(eye);
  REG(fromBuffer);
  REG(toBuffer);
  REG(shape);
  REG(strides);
  REG(scalarType);
  REG(device);
  REG(item);
  REG(isContiguous);
  REG(dataPtr);
  REG(to);
  REG(setData);
  REG(contiguous);
  REG(clone);
  REG(toMemoryFormat);
  REG(setNumThreads);
  REG(getNumThreads);
  REG(setNumInteropThreads);
  REG(getNumInteropThreads);
  REG(cudaDeviceCount);
  REG(cudaSynchronize);
  REG(hasMKLDNN);
  REG(parallelInfo);
  REG(setFlushDenormal);
  REG(mallopt);
}

}  // namespace cs

NAPI_MODULE_INIT() {
  Napi::Env e(env);
  Napi::Object ex(env, exports);
  try {
    cs::registerCore(e, ex);
    cs::registerMath(e, ex);
    cs::registerShape(e, ex);
    cs::registerNN(e, ex);
    cs::registerRandom(e, ex);
    cs::registerAutograd(e, ex);
    cs::registerAutocast(e, ex);
    cs::registerOnednn(e, ex);
    cs::registerConvBackward(e, ex);
    cs::registerShare(e, ex);
    cs::registerOptim(e, ex);
    cs::registerDistributed(e, ex);
  } catch (const Napi::Error& err) {
    err.ThrowAsJavaScriptException();
    return nullptr;
  }
  return exports;
}
