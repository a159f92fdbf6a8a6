// c10d, PyTorch's distributed layer, as thin bindings (one per c10d call): the TCPStore rendezvous
// (and PrefixStore, for torchrun's agent store), process groups (Gloo on CPU; NCCL on CUDA where
// this libtorch has it, see CMakeLists.txt), the collectives returning c10d Work handles that JS
// waits on, monitoredBarrier (Gloo's way of naming a rank that died or hung), broadcast_coalesced
// and a gradient hook that allreduces (SyncBatchNorm's backward). c10d's own DDP Reducer is not
// reachable here: Debian's libtorch-dev lacks the torch/csrc/distributed/autograd headers reducer.hpp
// includes, so DDP's bucketing lives in src/distributed/ddp.ts on these calls and on autograd.cc's
// post-accumulate-grad hook. src/tensor/c10d.ts gives them types; src/distributed builds DDP and
// SyncBatchNorm on them.
#include "common.h"

#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#if defined(CARDIOSEG_GLOO)
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(CARDIOSEG_NCCL)
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstring>
#include <memory>

namespace cs {

constexpr uint32_t kStoreMagic = 0x53544f52u;
constexpr uint32_t kGroupMagic = 0x50475250u;
constexpr uint32_t kWorkMagic = 0x574f524bu;

struct StoreBox : Box {
  c10::intrusive_ptr<c10d::Store> s;
};
struct GroupBox : Box {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
};
struct WorkBox : Box {
  c10::intrusive_ptr<c10d::Work> w;
};

template <typename B>
static void finalizeBox(napi_env /*env*/, void* data, void* /*hint*/) {
  delete static_cast<B*>(data);
}

template <typename B>
static Napi::Value box(Napi::Env env, B* b, uint32_t magic) {
  b->magic = magic;
  napi_value out;
  if (napi_create_external(env, b, finalizeBox<B>, nullptr, &out) != napi_ok) {
    delete b;
    throw Napi::Error::New(env, "cardioseg: could not allocate a c10d handle");
  }
  return Napi::Value(env, out);
}

template <typename B>
static B* unbox(const Napi::CallbackInfo& info, size_t i, uint32_t magic, const char* what) {
  void* p = nullptr;
  if (i >= info.Length() || napi_get_value_external(info.Env(), info[i], &p) != napi_ok || p == nullptr ||
      static_cast<Box*>(p)->magic != magic) {
    throwArg(info, i, what);
  }
  return static_cast<B*>(p);
}

static c10::intrusive_ptr<c10d::Store>& storeArg(const Napi::CallbackInfo& info, size_t i) {
  return unbox<StoreBox>(info, i, kStoreMagic, "a c10d Store")->s;
}

static c10::intrusive_ptr<c10d::ProcessGroup>& groupArg(const Napi::CallbackInfo& info, size_t i) {
  auto& pg = unbox<GroupBox>(info, i, kGroupMagic, "a c10d ProcessGroup")->pg;
  if (!pg) throw Napi::Error::New(info.Env(), "the process group has already been shut down");
  return pg;
}

static std::chrono::milliseconds msArg(const Napi::CallbackInfo& info, size_t i) {
  return std::chrono::milliseconds(i64(info, i));
}

static std::vector<std::string> strings(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throwArg(info, i, "an array of strings");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    if (!v.IsString()) throwArg(info, i, "an array of strings");
    out.push_back(v.As<Napi::String>().Utf8Value());
  }
  return out;
}

static Napi::Value workValue(Napi::Env env, c10::intrusive_ptr<c10d::Work> w) {
  auto* b = new WorkBox();
  b->w = std::move(w);
  return box(env, b, kWorkMagic);
}

// ---- stores ----

// tcpStoreNew(host, port, isServer, worldSize|null, timeoutMs, waitWorkers, multiTenant)
DEF(tcpStoreNew) {
  std::string host = str(info, 0);
  int64_t port = i64(info, 1);
  if (port < 0 || port > 65535) throwArg(info, 1, "a port number in 0..65535");
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(port);
  o.isServer = flag(info, 2);
  if (!isNullish(info, 3)) o.numWorkers = static_cast<std::size_t>(i64(info, 3));
  o.timeout = msArg(info, 4);
  o.waitWorkers = flag(info, 5);
  o.multiTenant = flag(info, 6);
  auto* b = new StoreBox();
  try {
    b->s = c10::make_intrusive<c10d::TCPStore>(host, o);
  } catch (...) {
    delete b;
    throw;
  }
  return box(ENV, b, kStoreMagic);
}
DEF(tcpStorePort) {
  auto* tcp = dynamic_cast<c10d::TCPStore*>(storeArg(info, 0).get());
  if (tcp == nullptr) throwArg(info, 0, "a TCPStore");
  return Napi::Number::New(ENV, tcp->getPort());
}
// prefixStoreNew(prefix, store): keys of this view are "<prefix>/<key>" in `store`.
DEF(prefixStoreNew) {
  auto* b = new StoreBox();
  b->s = c10::make_intrusive<c10d::PrefixStore>(str(info, 0), storeArg(info, 1));
  return box(ENV, b, kStoreMagic);
}
DEF(storeSet) {
  if (info.Length() < 3 || !info[2].IsTypedArray()) throwArg(info, 2, "a Uint8Array");
  Napi::Uint8Array v = info[2].As<Napi::Uint8Array>();
  storeArg(info, 0)->set(str(info, 1), std::vector<uint8_t>(v.Data(), v.Data() + v.ByteLength()));
  return undef(info);
}
DEF(storeGet) {
  std::vector<uint8_t> v = storeArg(info, 0)->get(str(info, 1));
  Napi::Uint8Array out = Napi::Uint8Array::New(ENV, v.size());
  if (!v.empty()) std::memcpy(out.Data(), v.data(), v.size());
  return out;
}
DEF(storeAdd) { return Napi::Number::New(ENV, static_cast<double>(storeArg(info, 0)->add(str(info, 1), i64(info, 2)))); }
DEF(storeCheck) { return Napi::Boolean::New(ENV, storeArg(info, 0)->check(strings(info, 1))); }
DEF(storeWait) {
  storeArg(info, 0)->wait(strings(info, 1), msArg(info, 2));
  return undef(info);
}
DEF(storeDeleteKey) { return Napi::Boolean::New(ENV, storeArg(info, 0)->deleteKey(str(info, 1))); }
DEF(storeSetTimeout) {
  storeArg(info, 0)->setTimeout(msArg(info, 1));
  return undef(info);
}

// ---- process groups ----

DEF(c10dBackends) {
  Napi::Object o = Napi::Object::New(ENV);
#if defined(CARDIOSEG_GLOO)
  o.Set("gloo", true);
#else
  o.Set("gloo", false);
#endif
#if defined(CARDIOSEG_NCCL)
  o.Set("nccl", true);
#else
  o.Set("nccl", false);
#endif
  return o;
}

// processGroupGlooNew(store, rank, size, timeoutMs, interfaces[]|null, hostname|null): Gloo devices on
// the named network interfaces (GLOO_SOCKET_IFNAME), else on the address `hostname` resolves to,
// else on this machine's own hostname (Gloo's default, as torch.distributed).
DEF(processGroupGlooNew) {
#if defined(CARDIOSEG_GLOO)
  auto& store = storeArg(info, 0);
  int rank = static_cast<int>(i64(info, 1)), size = static_cast<int>(i64(info, 2));
  auto opts = c10d::ProcessGroupGloo::Options::create(msArg(info, 3));
  if (!isNullish(info, 4)) {
    for (const std::string& name : strings(info, 4)) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    }
  } else if (!isNullish(info, 5)) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(str(info, 5)));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  auto* b = new GroupBox();
  try {
    b->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
  } catch (...) {
    delete b;
    throw;
  }
  return box(ENV, b, kGroupMagic);
#else
  throw Napi::Error::New(ENV, "this cardioseg addon was built without Gloo (libtorch's c10d Gloo headers were not found "
                              "at build time; on Debian install libgloo-dev and rebuild: node scripts/build-addon.mjs)");
#endif
}

// processGroupNcclNew(store, rank, size, timeoutMs): CUDA collectives (UNTESTED here: no GPU).
DEF(processGroupNcclNew) {
#if defined(CARDIOSEG_NCCL)
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = msArg(info, 3);
  auto* b = new GroupBox();
  try {
    b->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(storeArg(info, 0), static_cast<int>(i64(info, 1)),
                                                        static_cast<int>(i64(info, 2)), opts);
  } catch (...) {
    delete b;
    throw;
  }
  return box(ENV, b, kGroupMagic);
#else
  throw Napi::Error::New(ENV, "this cardioseg addon was built without NCCL (the libtorch it was built against has no "
                              "CUDA/NCCL c10d; see README, Training on several processes or machines)");
#endif
}

DEF(pgRank) { return Napi::Number::New(ENV, groupArg(info, 0)->getRank()); }
DEF(pgSize) { return Napi::Number::New(ENV, groupArg(info, 0)->getSize()); }
DEF(pgBackendName) { return Napi::String::New(ENV, groupArg(info, 0)->getBackendName()); }
// pgShutdown(pg): drops this handle's reference now; the group (and its Gloo threads) go with the
// last reference (pending Work and gradient hooks hold one too).
DEF(pgShutdown) {
  unbox<GroupBox>(info, 0, kGroupMagic, "a c10d ProcessGroup")->pg.reset();
  return undef(info);
}

static c10d::ReduceOp reduceOpArg(const Napi::CallbackInfo& info, size_t i) {
  switch (i64(info, i)) {
    case 0: return c10d::ReduceOp::SUM;
    case 1: return c10d::ReduceOp::PRODUCT;
    case 2: return c10d::ReduceOp::MIN;
    case 3: return c10d::ReduceOp::MAX;
    default: throwArg(info, i, "a reduce op code (0 sum, 1 product, 2 min, 3 max)");
  }
}

// pgAllreduce(pg, tensors[], op): in place; returns the Work.
DEF(pgAllreduce) {
  std::vector<at::Tensor> ts = tensorList(info, 1);
  c10d::AllreduceOptions o;
  o.reduceOp = reduceOpArg(info, 2);
  return workValue(ENV, groupArg(info, 0)->allreduce(ts, o));
}
// pgAllreduceCoalesced(pg, tensors[], op): one flattened allreduce over same-dtype tensors.
DEF(pgAllreduceCoalesced) {
  std::vector<at::Tensor> ts = tensorList(info, 1);
  c10d::AllreduceCoalescedOptions o;
  o.reduceOp = reduceOpArg(info, 2);
  return workValue(ENV, groupArg(info, 0)->allreduce_coalesced(ts, o));
}
// pgBroadcast(pg, tensors[], root)
DEF(pgBroadcast) {
  std::vector<at::Tensor> ts = tensorList(info, 1);
  c10d::BroadcastOptions o;
  o.rootRank = i64(info, 2);
  return workValue(ENV, groupArg(info, 0)->broadcast(ts, o));
}
// pgAllgather(pg, outputs[worldSize], input): outputs[r] receives rank r's input.
DEF(pgAllgather) {
  std::vector<std::vector<at::Tensor>> outs{tensorList(info, 1)};
  std::vector<at::Tensor> in{T(info, 2)};
  return workValue(ENV, groupArg(info, 0)->allgather(outs, in));
}
DEF(pgBarrier) { return workValue(ENV, groupArg(info, 0)->barrier()); }
// pgMonitoredBarrier(pg, timeoutMs, waitAllRanks): throws naming the ranks that did not arrive.
DEF(pgMonitoredBarrier) {
  c10d::BarrierOptions o;
  o.timeout = msArg(info, 1);
  groupArg(info, 0)->monitoredBarrier(o, flag(info, 2));
  return undef(info);
}

static c10::intrusive_ptr<c10d::Work>& workArg(const Napi::CallbackInfo& info, size_t i) {
  return unbox<WorkBox>(info, i, kWorkMagic, "a c10d Work")->w;
}
// workWait(work, timeoutMs|null): blocks until done; rethrows the collective's error.
DEF(workWait) {
  auto& w = workArg(info, 0);
  bool done = isNullish(info, 1) ? w->wait() : w->wait(msArg(info, 1));
  return Napi::Boolean::New(ENV, done);
}
DEF(workIsCompleted) { return Napi::Boolean::New(ENV, workArg(info, 0)->isCompleted()); }

// broadcastCoalesced(pg, tensors[], bufferBytes, root): DDP's module-state sync.
DEF(broadcastCoalesced) {
  std::vector<at::Tensor> ts = tensorList(info, 1);
  c10d::broadcast_coalesced(groupArg(info, 0), ts, static_cast<size_t>(i64(info, 2)), static_cast<int>(i64(info, 3)));
  return undef(info);
}
// registerAllreduceGradHook(t, pg): during backward, the gradient flowing into `t` is replaced by its
// sum over the group (an allreduce issued in graph order on every rank). SyncBatchNorm's statistics
// use it so each rank's backward sees the gradient of every rank's loss.
DEF(registerAllreduceGradHook) {
  at::Tensor& t = TM(info, 0);
  c10::intrusive_ptr<c10d::ProcessGroup> pg = groupArg(info, 1);
  t.register_hook([pg](const at::Tensor& grad) {
    std::vector<at::Tensor> v{grad.contiguous().clone()};
    pg->allreduce(v)->wait();
    return v[0];
  });
  return undef(info);
}

void registerDistributed(Napi::Env env, Napi::Object exports) {
  REG(tcpStoreNew); REG(tcpStorePort); REG(prefixStoreNew); REG(storeSet); REG(storeGet); REG(storeAdd);
  REG(storeCheck); REG(storeWait); REG(storeDeleteKey); REG(storeSetTimeout);
  REG(c10dBackends); REG(processGroupGlooNew); REG(processGroupNcclNew); REG(pgRank); REG(pgSize);
  REG(pgBackendName); REG(pgShutdown); REG(pgAllreduce); REG(pgAllreduceCoalesced); REG(pgBroadcast);
  REG(pgAllgather); REG(pgBarrier); REG(pgMonitoredBarrier); REG(workWait); REG(workIsCompleted);
  REG(broadcastCoalesced); REG(registerAllreduceGradHook);
}

}  // namespace cs
