// Zero-copy tensors over JS memory. The tensor keeps the ArrayBuffer's V8 BackingStore alive via a
// shared_ptr, which is thread-safe, survives the ArrayBuffer being detached or transferred, and
// does not depend on the JS environment still existing when libtorch frees the storage. (N-API has
// no such handle, so this one file uses V8's API directly.)
#include "common.h"

#include <v8.h>

#include <cstring>

namespace cs {

static v8::Local<v8::Value> toV8(napi_value v) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(v), "napi_value is a v8::Local");
  std::memcpy(static_cast<void*>(&local), &v, sizeof(v));
  return local;
}

// fromBufferShared(typedArray, dtype, shape): a CPU tensor aliasing the typed array's elements.
DEF(fromBufferShared) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) throwArg(info, 0, "a TypedArray");
  v8::Local<v8::Value> value = toV8(info[0]);
  v8::Local<v8::TypedArray> view = value.As<v8::TypedArray>();
  std::shared_ptr<v8::BackingStore> store = view->Buffer()->GetBackingStore();
  if (store->IsResizableByUserJavaScript()) {
    throw Napi::Error::New(ENV, "fromBufferShared: resizable ArrayBuffers cannot be shared (copy instead)");
  }
  at::ScalarType dt = dtypeArg(info, 1);
  std::vector<int64_t> shape = ints(info, 2);
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  size_t bytes = view->ByteLength();
  if (static_cast<size_t>(numel) * at::elementSize(dt) != bytes) {
    throw Napi::Error::New(ENV, "fromBufferShared: shape does not match the array's byte length");
  }
  char* base = static_cast<char*>(store->Data());
  if (bytes == 0 || base == nullptr) RET(at::empty(shape, at::TensorOptions().dtype(dt)));
  void* data = base + view->ByteOffset();
  auto keepAlive = [store](void*) mutable { store.reset(); };
  RET(at::from_blob(data, shape, keepAlive, at::TensorOptions().dtype(dt)));
}

void registerShare(Napi::Env env, Napi::Object exports) { REG(fromBufferShared); }

}  // namespace cs
