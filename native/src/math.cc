// Element-wise maths, comparisons, reductions, matmul and the in-place updates optimisers use.
// Tensor/scalar variants are separate functions (`add` vs `addScalar`) so no call dispatches on
// argument types at run time.
#include "common.h"

#include <ATen/ScalarOps.h>

namespace cs {

#define UNARY(name, expr)            \
  DEF(name) {                        \
    const at::Tensor& a = T(info, 0); \
    RET(expr);                       \
  }
#define BINARY(name, expr)           \
  DEF(name) {                        \
    const at::Tensor& a = T(info, 0); \
    const at::Tensor& b = T(info, 1); \
    RET(expr);                       \
  }
#define BINARY_SCALAR(name, expr)    \
  DEF(name) {                        \
    const at::Tensor& a = T(info, 0); \
    at::Scalar s = S(info, 1);       \
    RET(expr);                       \
  }
#define INPLACE(name, stmt)     \
  DEF(name) {                   \
    at::Tensor& a = TM(info, 0); \
    stmt;                       \
    return undef(info);         \
  }

// ---- unary ----
UNARY(neg, at::neg(a))
UNARY(sqrt, at::sqrt(a))
UNARY(rsqrt, at::rsqrt(a))
UNARY(exp, at::exp(a))
UNARY(log, at::log(a))
UNARY(log1p, at::log1p(a))
UNARY(expm1, at::expm1(a))
UNARY(abs, at::abs(a))
UNARY(sigmoid, at::sigmoid(a))
UNARY(relu, at::relu(a))
UNARY(tanh, at::tanh(a))
UNARY(square, at::square(a))
UNARY(reciprocal, at::reciprocal(a))
UNARY(sign, at::sign(a))
UNARY(floor, at::floor(a))
UNARY(ceil, at::ceil(a))
UNARY(round, at::round(a))
UNARY(trunc, at::trunc(a))
UNARY(sin, at::sin(a))
UNARY(cos, at::cos(a))
UNARY(erf, at::erf(a))
UNARY(logicalNot, at::logical_not(a))
UNARY(isnan, at::isnan(a))
UNARY(isfinite, at::isfinite(a))
UNARY(t, a.t())
UNARY(detach, a.detach())

DEF(clamp) { RET(at::clamp(T(info, 0), OS(info, 1), OS(info, 2))); }
DEF(clampTensor) { RET(at::clamp(T(info, 0), OT(info, 1), OT(info, 2))); }

// ---- binary (broadcasting) ----
DEF(add) { RET(at::add(T(info, 0), T(info, 1), isNullish(info, 2) ? at::Scalar(1) : S(info, 2))); }
DEF(sub) { RET(at::sub(T(info, 0), T(info, 1), isNullish(info, 2) ? at::Scalar(1) : S(info, 2))); }
// Python wraps a number operand of + - * / into a "wrapped number" tensor (so autograd records
// AddBackward0 etc. and type promotion treats it as a scalar); we do the same.
// The wrapper stays on the CPU even for CUDA operands, as in Python (no device copy per call).
static at::Tensor W(const Napi::CallbackInfo& info, size_t i, const at::Tensor& /*like*/) {
  return at::native::wrapped_scalar_tensor(S(info, i));
}
DEF(addScalar) {
  const at::Tensor& a = T(info, 0);
  RET(at::add(a, W(info, 1, a), isNullish(info, 2) ? at::Scalar(1) : S(info, 2)));
}
DEF(subScalar) {
  const at::Tensor& a = T(info, 0);
  RET(at::sub(a, W(info, 1, a), isNullish(info, 2) ? at::Scalar(1) : S(info, 2)));
}
BINARY(mul, at::mul(a, b))
BINARY(div, at::div(a, b))
BINARY(pow, at::pow(a, b))
BINARY(maximum, at::maximum(a, b))
BINARY(minimum, at::minimum(a, b))
BINARY(remainder, at::remainder(a, b))
BINARY(matmul, at::matmul(a, b))
BINARY(eq, at::eq(a, b))
BINARY(ne, at::ne(a, b))
BINARY(lt, at::lt(a, b))
BINARY(le, at::le(a, b))
BINARY(gt, at::gt(a, b))
BINARY(ge, at::ge(a, b))
BINARY(logicalAnd, at::logical_and(a, b))
BINARY(logicalOr, at::logical_or(a, b))
BINARY(logicalXor, at::logical_xor(a, b))
DEF(mulScalar) {
  const at::Tensor& a = T(info, 0);
  RET(at::mul(a, W(info, 1, a)));
}
DEF(divScalar) {
  const at::Tensor& a = T(info, 0);
  RET(at::div(a, W(info, 1, a)));
}
BINARY_SCALAR(powScalar, at::pow(a, s))
BINARY_SCALAR(rpowScalar, at::pow(s, a))
BINARY_SCALAR(rsubScalar, at::rsub(a, s))
BINARY_SCALAR(rdivScalar, at::mul(at::reciprocal(a), s))
BINARY_SCALAR(remainderScalar, at::remainder(a, s))
BINARY_SCALAR(eqScalar, at::eq(a, s))
BINARY_SCALAR(neScalar, at::ne(a, s))
BINARY_SCALAR(ltScalar, at::lt(a, s))
BINARY_SCALAR(leScalar, at::le(a, s))
BINARY_SCALAR(gtScalar, at::gt(a, s))
BINARY_SCALAR(geScalar, at::ge(a, s))

DEF(allclose) {
  return Napi::Boolean::New(ENV, at::allclose(T(info, 0), T(info, 1), num(info, 2), num(info, 3), flag(info, 4)));
}
DEF(equal) { return Napi::Boolean::New(ENV, at::equal(T(info, 0), T(info, 1))); }

// ---- reductions; dims = null means all ----
static bool hasDims(const Napi::CallbackInfo& info, size_t i) { return !isNullish(info, i); }

DEF(sum) {
  const at::Tensor& a = T(info, 0);
  if (!hasDims(info, 1)) RET(at::sum(a));
  RET(at::sum(a, ints(info, 1), flag(info, 2)));
}
DEF(mean) {
  const at::Tensor& a = T(info, 0);
  if (!hasDims(info, 1)) RET(at::mean(a));
  RET(at::mean(a, ints(info, 1), flag(info, 2)));
}
DEF(prod) {
  const at::Tensor& a = T(info, 0);
  if (!hasDims(info, 1)) RET(at::prod(a));
  RET(at::prod(a, i64(info, 1), flag(info, 2)));
}
UNARY(maxAll, at::max(a))
UNARY(minAll, at::min(a))
UNARY(all, at::all(a))
UNARY(any, at::any(a))
DEF(maxDim) {
  auto r = at::max(T(info, 0), i64(info, 1), flag(info, 2));
  return tensorArray(ENV, {std::get<0>(r), std::get<1>(r)});
}
DEF(minDim) {
  auto r = at::min(T(info, 0), i64(info, 1), flag(info, 2));
  return tensorArray(ENV, {std::get<0>(r), std::get<1>(r)});
}
// Along a dimension, max(dim)'s indices: the same first-of-tied-maxima answer as at::argmax, which in
// libtorch 1.13 reduces a strided dimension on the CPU several times slower (argmax over the class
// channel of [B, C, H, W] scores: 25 ms against 4.5 ms measured).
DEF(argmax) {
  if (!hasDims(info, 1)) RET(at::argmax(T(info, 0), c10::nullopt, flag(info, 2)));
  RET(std::get<1>(at::max(T(info, 0), i64(info, 1), flag(info, 2))));
}
DEF(argmin) {
  c10::optional<int64_t> dim = hasDims(info, 1) ? c10::optional<int64_t>(i64(info, 1)) : c10::nullopt;
  RET(at::argmin(T(info, 0), dim, flag(info, 2)));
}
// std/var(t, dims|null, unbiased, keepdim)
DEF(std) {
  at::OptionalIntArrayRef dims;
  std::vector<int64_t> d;
  if (hasDims(info, 1)) {
    d = ints(info, 1);
    dims = d;
  }
  RET(at::std(T(info, 0), dims, flag(info, 2), flag(info, 3)));
}
DEF(var) {
  at::OptionalIntArrayRef dims;
  std::vector<int64_t> d;
  if (hasDims(info, 1)) {
    d = ints(info, 1);
    dims = d;
  }
  RET(at::var(T(info, 0), dims, flag(info, 2), flag(info, 3)));
}
// norm(t, p, dims|null, keepdim)
DEF(norm) {
  const at::Tensor& a = T(info, 0);
  if (!hasDims(info, 2)) RET(at::norm(a, S(info, 1)));
  RET(at::norm(a, S(info, 1), ints(info, 2), flag(info, 3)));
}
DEF(cumsum) { RET(at::cumsum(T(info, 0), i64(info, 1))); }
DEF(bincount) { RET(at::bincount(T(info, 0), OT(info, 1), isNullish(info, 2) ? 0 : i64(info, 2))); }

// ---- in-place (return nothing; the TS side returns `this`) ----
INPLACE(add_, a.add_(T(info, 1), isNullish(info, 2) ? at::Scalar(1) : S(info, 2)))
INPLACE(sub_, a.sub_(T(info, 1), isNullish(info, 2) ? at::Scalar(1) : S(info, 2)))
INPLACE(addScalar_, a.add_(W(info, 1, a), isNullish(info, 2) ? at::Scalar(1) : S(info, 2)))
INPLACE(subScalar_, a.sub_(W(info, 1, a), isNullish(info, 2) ? at::Scalar(1) : S(info, 2)))
INPLACE(mul_, a.mul_(T(info, 1)))
INPLACE(div_, a.div_(T(info, 1)))
INPLACE(mulScalar_, a.mul_(W(info, 1, a)))
INPLACE(divScalar_, a.div_(W(info, 1, a)))
INPLACE(addcmul_, a.addcmul_(T(info, 1), T(info, 2), isNullish(info, 3) ? at::Scalar(1) : S(info, 3)))
INPLACE(addcdiv_, a.addcdiv_(T(info, 1), T(info, 2), isNullish(info, 3) ? at::Scalar(1) : S(info, 3)))
INPLACE(copy_, a.copy_(T(info, 1)))
INPLACE(zero_, a.zero_())
INPLACE(fill_, a.fill_(S(info, 1)))
INPLACE(clamp_, a.clamp_(OS(info, 1), OS(info, 2)))
INPLACE(lerp_, a.lerp_(T(info, 1), S(info, 2)))
INPLACE(lerpTensor_, a.lerp_(T(info, 1), T(info, 2)))
INPLACE(sqrt_, a.sqrt_())
INPLACE(neg_, a.neg_())
INPLACE(relu_, a.relu_())
INPLACE(maximum_, at::maximum_out(a, a, T(info, 1)))
INPLACE(maskedFill_, a.masked_fill_(T(info, 1), S(info, 2)))

// ---- multi-tensor (torch._foreach_*): one call updates a whole list, as torch.optim's foreach=True.
// Each is the ATen op; on the CPU it applies the single-tensor kernel to every element, so results
// equal the per-tensor updates bit for bit while crossing into the addon once per list.
DEF(foreachMulScalar_) {
  at::_foreach_mul_(tensorList(info, 0), S(info, 1));
  return undef(info);
}
DEF(foreachAddScalar_) {
  at::_foreach_add_(tensorList(info, 0), S(info, 1));
  return undef(info);
}
DEF(foreachDivScalar_) {
  at::_foreach_div_(tensorList(info, 0), S(info, 1));
  return undef(info);
}
// foreachAdd_(self[], other[], alpha)
DEF(foreachAdd_) {
  at::_foreach_add_(tensorList(info, 0), tensorList(info, 1), isNullish(info, 2) ? at::Scalar(1) : S(info, 2));
  return undef(info);
}
// foreachAddcmul_/foreachAddcdiv_(self[], t1[], t2[], value)
DEF(foreachAddcmul_) {
  at::_foreach_addcmul_(tensorList(info, 0), tensorList(info, 1), tensorList(info, 2),
                        isNullish(info, 3) ? at::Scalar(1) : S(info, 3));
  return undef(info);
}
DEF(foreachAddcdiv_) {
  at::_foreach_addcdiv_(tensorList(info, 0), tensorList(info, 1), tensorList(info, 2),
                        isNullish(info, 3) ? at::Scalar(1) : S(info, 3));
  return undef(info);
}
DEF(foreachSqrt) { return tensorArray(ENV, at::_foreach_sqrt(tensorList(info, 0))); }

void registerMath(Napi::Env env, Napi::Object exports) {
  REG(neg); REG(sqrt); REG(rsqrt); REG(exp); REG(log); REG(log1p); REG(expm1); REG(abs); REG(sigmoid);
  REG(relu); REG(tanh); REG(square); REG(reciprocal); REG(sign); REG(floor); REG(ceil); REG(round);
  REG(trunc); REG(sin); REG(cos); REG(erf); REG(logicalNot); REG(isnan); REG(isfinite); REG(t); REG(detach);
  REG(clamp); REG(clampTensor);
  REG(add); REG(sub); REG(addScalar); REG(subScalar); REG(mul); REG(div); REG(pow); REG(maximum);
  REG(minimum); REG(remainder); REG(matmul); REG(eq); REG(ne); REG(lt); REG(le); REG(gt); REG(ge);
  REG(logicalAnd); REG(logicalOr); REG(logicalXor);
  REG(mulScalar); REG(divScalar); REG(powScalar); REG(rpowScalar); REG(rsubScalar); REG(rdivScalar);
  REG(remainderScalar); REG(eqScalar); REG(neScalar); REG(ltScalar); REG(leScalar); REG(gtScalar);
  REG(geScalar); REG(allclose); REG(equal);
  REG(sum); REG(mean); REG(prod); REG(maxAll); REG(minAll); REG(all); REG(any); REG(maxDim); REG(minDim);
  REG(argmax); REG(argmin); REG(std); REG(var); REG(norm); REG(cumsum); REG(bincount);
  REG(add_); REG(sub_); REG(addScalar_); REG(subScalar_); REG(mul_); REG(div_); REG(mulScalar_);
  REG(divScalar_); REG(addcmul_); REG(addcdiv_); REG(copy_); REG(zero_); REG(fill_); REG(clamp_);
  REG(lerp_); REG(lerpTensor_); REG(sqrt_); REG(neg_); REG(relu_); REG(maximum_); REG(maskedFill_);
  REG(foreachMulScalar_); REG(foreachAddScalar_); REG(foreachDivScalar_); REG(foreachAdd_); REG(foreachAddcmul_);
  REG(foreachAddcdiv_); REG(foreachSqrt);
}

}  // namespace cs
