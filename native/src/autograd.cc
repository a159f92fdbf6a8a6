// Autograd: requires_grad, .grad, backward, torch.autograd.grad, grad-mode scopes and the
// grad_fn name printed by toString. The only file that includes torch/csrc/autograd headers.
#include "common.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

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

void registerAutograd(Napi::Env env, Napi::Object exports) {
  REG(requiresGrad); REG(setRequiresGrad); REG(isLeaf); REG(grad); REG(setGrad); REG(retainGrad);
  REG(backward); REG(autogradGrad); REG(gradFnName); REG(setGradEnabled); REG(isGradEnabled); REG(version);
}

}  // namespace cs
