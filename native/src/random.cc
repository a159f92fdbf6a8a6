// Random numbers: seedable CPU generators (state saved/restored byte-exactly for resume), the
// global seed, random creation and in-place random fills, and dropout drawn from a generator.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cstring>
#include <mutex>

namespace cs {

static void finalizeGenerator(napi_env /*env*/, void* data, void* /*hint*/) {
  delete static_cast<GeneratorBox*>(data);
}

static GeneratorBox* genBox(const Napi::CallbackInfo& info, size_t i) {
  void* p = nullptr;
  if (i >= info.Length() || napi_get_value_external(info.Env(), info[i], &p) != napi_ok || p == nullptr ||
      static_cast<Box*>(p)->magic != kGeneratorMagic) {
    throwArg(info, i, "a Generator");
  }
  return static_cast<GeneratorBox*>(p);
}

static uint64_t seedArg(const Napi::CallbackInfo& info, size_t i) {
  double d = num(info, i);
  if (!(d >= 0) || d > 9007199254740991.0 || std::nearbyint(d) != d) {
    throwArg(info, i, "a non-negative integer seed");
  }
  return static_cast<uint64_t>(d);
}

// generatorNew(seed|undefined, device|undefined): undefined seeds from a non-deterministic source, like
// torch.Generator().seed(). A CUDA generator is a fresh clone of the device's default one (the same
// Philox engine torch.Generator(device="cuda") makes), so dropout masks are drawn where the tensors live.
DEF(generatorNew) {
  at::Device dev = deviceArg(info, 1);
  at::Generator g = dev.is_cpu() ? at::make_generator<at::CPUGeneratorImpl>(at::default_rng_seed_val)
                                 : at::globalContext().defaultGenerator(dev).clone();
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    if (isNullish(info, 0)) g.seed();
    else g.set_current_seed(seedArg(info, 0));
  }
  auto* b = new GeneratorBox();
  b->magic = kGeneratorMagic;
  b->g = std::move(g);
  napi_value out;
  napi_create_external(ENV, b, finalizeGenerator, nullptr, &out);
  return Napi::Value(ENV, out);
}
DEF(generatorDevice) { return Napi::String::New(ENV, genBox(info, 0)->g.device().str()); }
DEF(generatorManualSeed) {
  at::Generator& g = genBox(info, 0)->g;
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_current_seed(seedArg(info, 1));
  return undef(info);
}
DEF(generatorInitialSeed) {
  return Napi::Number::New(ENV, static_cast<double>(genBox(info, 0)->g.current_seed()));
}
DEF(generatorGetState) {
  at::Generator& g = genBox(info, 0)->g;
  at::Tensor st;
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    st = g.get_state();
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(ENV, st.numel());
  std::memcpy(out.Data(), st.data_ptr(), st.numel());
  return out;
}
DEF(generatorSetState) {
  at::Generator& g = genBox(info, 0)->g;
  if (info.Length() < 2 || !info[1].IsTypedArray()) throwArg(info, 1, "a Uint8Array");
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  at::Tensor st = at::empty({static_cast<int64_t>(bytes.ByteLength())}, at::kByte);
  std::memcpy(st.data_ptr(), bytes.Data(), bytes.ByteLength());
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(st);
  return undef(info);
}
DEF(manualSeed) {
  at::manual_seed(seedArg(info, 0));
  return undef(info);
}

// randn/rand(shape, dtype, device, gen|null)
DEF(randn) { RET(at::randn(ints(info, 0), generatorArg(info, 3), optionsArg(info, 1, 2))); }
DEF(rand) { RET(at::rand(ints(info, 0), generatorArg(info, 3), optionsArg(info, 1, 2))); }
// randint(low, high, shape, dtype, device, gen|null); dtype defaults to int64 on the TS side
DEF(randint) {
  RET(at::randint(i64(info, 0), i64(info, 1), ints(info, 2), generatorArg(info, 5), optionsArg(info, 3, 4)));
}
DEF(randperm) { RET(at::randperm(i64(info, 0), generatorArg(info, 3), optionsArg(info, 1, 2))); }
DEF(uniform_) {
  TM(info, 0).uniform_(num(info, 1), num(info, 2), generatorArg(info, 3));
  return undef(info);
}
DEF(normal_) {
  TM(info, 0).normal_(num(info, 1), num(info, 2), generatorArg(info, 3));
  return undef(info);
}
DEF(bernoulli_) {
  TM(info, 0).bernoulli_(num(info, 1), generatorArg(info, 2));
  return undef(info);
}
DEF(multinomial) { RET(at::multinomial(T(info, 0), i64(info, 1), flag(info, 2), generatorArg(info, 3))); }

// dropout(x, p, training, gen|null, channelwise): with a generator the mask is drawn from it;
// without one, ATen's own (fused) dropout runs, exactly as F.dropout / F.dropout2d.
DEF(dropout) {
  const at::Tensor& x = T(info, 0);
  double p = num(info, 1);
  bool train = flag(info, 2);
  bool channelwise = flag(info, 4);
  if (p < 0 || p > 1) throwArg(info, 1, "a probability between 0 and 1");
  c10::optional<at::Generator> gen = generatorArg(info, 3);
  if (!gen || !train || p == 0) {
    RET(channelwise ? at::feature_dropout(x, p, train) : at::dropout(x, p, train));
  }
  if (gen->device().type() != x.device().type()) {
    throw Napi::Error::New(ENV, "dropout: the random generator is on " + gen->device().str() + " but the input is on " +
                                    x.device().str() + " (create the Generator on the model's device)");
  }
  if (p == 1) RET(x * 0);
  std::vector<int64_t> maskShape = x.sizes().vec();
  if (channelwise) {
    for (size_t k = 2; k < maskShape.size(); ++k) maskShape[k] = 1;
  }
  at::Tensor mask = at::empty(maskShape, x.options().requires_grad(false));
  mask.bernoulli_(1 - p, gen);
  mask.div_(1 - p);
  RET(x * mask);
}

void registerRandom(Napi::Env env, Napi::Object exports) {
  REG(generatorNew); REG(generatorDevice); REG(generatorManualSeed); REG(generatorInitialSeed); REG(generatorGetState);
  REG(generatorSetState); REG(manualSeed); REG(randn); REG(rand); REG(randint); REG(randperm);
  REG(uniform_); REG(normal_); REG(bernoulli_); REG(multinomial); REG(dropout);
}

}  // namespace cs
