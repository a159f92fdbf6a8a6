// Autograd: requires_grad, .grad, backward, torch.autograd.grad, grad-mode scopes and the
// grad_fn name printed by toString. With conv_backward.cc (a custom autograd Function), the only files that
// include torch/csrc/autograd headers.
#include "common.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <thread>

namespace cs {

DEF(requiresGrad) { return Napi::Boolean::New(ENV, T(info, 0).requires_grad()); }
DEF(setRequiresGrad) {
  TM(info, 0).requires_grad_(flag(info, 1));
  return undef(info);
}
DEF(isLeaf) { return Napi::Boolean::New(ENV, T(info, 0).is_leaf()); }
DEF(grad) {
  const at::Tensor& g = T(info, 0).grad();
  if (!g.defined()) return info.Env().Null();
  RET(g);
}
// setGrad(t, g|null): null drops the gradient (PyTorch's `p.grad = None`).
DEF(setGrad) {
  at::Tensor& t = TM(info, 0);
  t.mutable_grad() = isNullish(info, 1) ? at::Tensor() : T(info, 1);
  return undef(info);
}
DEF(retainGrad) {
  TM(info, 0).retain_grad();
  return undef(info);
}
// backward(t, gradient|null, retainGraph, createGraph)
DEF(backward) {
  c10::optional<at::Tensor> g = OT(info, 1);
  c10::optional<bool> retain = isNullish(info, 2) ? c10::nullopt : c10::optional<bool>(flag(info, 2));
  T(info, 0).backward(g ? *g : at::Tensor(), retain, flag(info, 3));
  return undef(info);
}
// autogradGrad(outputs[], inputs[], gradOutputs[]|null, retainGraph|null, createGraph, allowUnused)
DEF(autogradGrad) {
  std::vector<at::Tensor> outs = tensorList(info, 0);
  std::vector<at::Tensor> ins = tensorList(info, 1);
  std::vector<at::Tensor> gouts = isNullish(info, 2) ? std::vector<at::Tensor>() : tensorList(info, 2);
  c10::optional<bool> retain = isNullish(info, 3) ? c10::nullopt : c10::optional<bool>(flag(info, 3));
  std::vector<at::Tensor> grads = torch::autograd::grad(outs, ins, gouts, retain, flag(info, 4), flag(info, 5));
  Napi::Array arr = Napi::Array::New(ENV, grads.size());
  for (size_t k = 0; k < grads.size(); ++k) {
    arr.Set(static_cast<uint32_t>(k), grads[k].defined() ? wrap(ENV, grads[k]) : info.Env().Null());
  }
  return arr;
}
DEF(gradFnName) {
  const auto& fn = T(info, 0).grad_fn();
  if (!fn) return info.Env().Null();
  std::string name = fn->name();
  // PyTorch prints the Python class name, which drops the C++ namespace.
  size_t colon = name.rfind("::");
  return Napi::String::New(ENV, colon == std::string::npos ? name : name.substr(colon + 2));
}
DEF(setGradEnabled) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(flag(info, 0));
  return Napi::Boolean::New(ENV, prev);
}
DEF(isGradEnabled) { return Napi::Boolean::New(ENV, c10::GradMode::is_enabled()); }

DEF(version) { return Napi::Number::New(ENV, static_cast<double>(T(info, 0)._version())); }

// ---- post-accumulate-grad hooks (torch 2.1's Tensor.register_post_accumulate_grad_hook) ----

constexpr uint32_t kHookMagic = 0x484f4f4bu;

// Calls a JS function after a leaf's gradient has been accumulated into .grad. The call is made on
// the JS thread, inside backward(): libtorch runs a CPU-only backward on the thread that called it.
// Backwards that run elsewhere (CUDA device threads) make the hook throw; src/distributed/ddp.ts then
// reduces after backward instead.
struct JsPostHook : torch::autograd::FunctionPostHook {
  napi_env env;
  napi_ref fn;
  std::thread::id thread;
  JsPostHook(napi_env e, napi_ref f) : env(e), fn(f), thread(std::this_thread::get_id()) {}
  ~JsPostHook() override { napi_delete_reference(env, fn); }
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (std::this_thread::get_id() != thread) {
      throw std::runtime_error("a JS gradient hook was called off the JS thread (a CUDA backward); "
                               "JS hooks work for CPU backwards only");
    }
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value f, global, result;
    napi_get_reference_value(env, fn, &f);
    napi_get_global(env, &global);
    napi_status st = napi_call_function(env, global, f, 0, nullptr, &result);
    std::string error;
    if (st != napi_ok) {
      napi_value exc, msg;
      napi_get_and_clear_last_exception(env, &exc);
      if (napi_coerce_to_string(env, exc, &msg) == napi_ok) {
        size_t n = 0;
        napi_get_value_string_utf8(env, msg, nullptr, 0, &n);
        error.resize(n);
        napi_get_value_string_utf8(env, msg, error.data(), n + 1, &n);
      }
      if (error.empty()) error = "a JS gradient hook threw";
    }
    napi_close_handle_scope(env, scope);
    if (!error.empty()) throw std::runtime_error(error);
    return outputs;
  }
};

struct HookBox : Box {
  std::shared_ptr<torch::autograd::Node> accumulator;  // kept alive: a new one would lack the hook
  uintptr_t key = 0;
};

static void removeHook(HookBox* b) {
  if (b->accumulator) b->accumulator->del_post_hook(b->key);
  b->accumulator.reset();
}

static void finalizeHook(napi_env /*env*/, void* data, void* /*hint*/) {
  auto* b = static_cast<HookBox*>(data);
  removeHook(b);
  delete b;
}

// registerPostAccumulateGradHook(leaf, fn): returns a handle; removeGradHook(handle) detaches it.
DEF(registerPostAccumulateGradHook) {
  const at::Tensor& t = T(info, 0);
  if (!t.requires_grad() || !t.is_leaf()) throwArg(info, 0, "a leaf Tensor that requires grad");
  if (info.Length() < 2 || !info[1].IsFunction()) throwArg(info, 1, "a function");
  napi_ref ref;
  napi_create_reference(ENV, info[1], 1, &ref);
  auto* b = new HookBox();
  b->magic = kHookMagic;
  b->accumulator = torch::autograd::impl::grad_accumulator(t);
  b->key = b->accumulator->add_post_hook(std::make_unique<JsPostHook>(ENV, ref));
  napi_value out;
  napi_create_external(ENV, b, finalizeHook, nullptr, &out);
  return Napi::Value(ENV, out);
}
DEF(removeGradHook) {
  void* p = nullptr;
  if (napi_get_value_external(ENV, info[0], &p) != napi_ok || p == nullptr || static_cast<Box*>(p)->magic != kHookMagic) {
    throwArg(info, 0, "a gradient hook handle");
  }
  removeHook(static_cast<HookBox*>(p));
  return undef(info);
}

void registerAutograd(Napi::Env env, Napi::Object exports) {
  REG(requiresGrad); REG(setRequiresGrad); REG(isLeaf); REG(grad); REG(setGrad); REG(retainGrad);
  REG(backward); REG(autogradGrad); REG(gradFnName); REG(setGradEnabled); REG(isGradEnabled); REG(version);
  REG(registerPostAccumulateGradHook); REG(removeGradHook);
}

}  // namespace cs
