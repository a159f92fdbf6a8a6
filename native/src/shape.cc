// Shape and indexing ops: views (reshape, permute, narrow, ...), joins (cat, stack), selection
// (indexSelect, gather, where, maskedSelect) and padding.
#include "common.h"

namespace cs {

DEF(reshape) { RET(T(info, 0).reshape(ints(info, 1))); }
DEF(view) { RET(T(info, 0).view(ints(info, 1))); }
DEF(permute) { RET(T(info, 0).permute(ints(info, 1))); }
DEF(transpose) { RET(T(info, 0).transpose(i64(info, 1), i64(info, 2))); }
DEF(narrow) { RET(T(info, 0).narrow(i64(info, 1), i64(info, 2), i64(info, 3))); }
// slice(t, dim, start|null, end|null, step)
DEF(slice) {
  c10::optional<int64_t> start = isNullish(info, 2) ? c10::nullopt : c10::optional<int64_t>(i64(info, 2));
  c10::optional<int64_t> end = isNullish(info, 3) ? c10::nullopt : c10::optional<int64_t>(i64(info, 3));
  RET(T(info, 0).slice(i64(info, 1), start, end, isNullish(info, 4) ? 1 : i64(info, 4)));
}
DEF(select) { RET(T(info, 0).select(i64(info, 1), i64(info, 2))); }
DEF(indexSelect) { RET(at::index_select(T(info, 0), i64(info, 1), T(info, 2))); }
DEF(flip) { RET(at::flip(T(info, 0), ints(info, 1))); }
DEF(roll) { RET(at::roll(T(info, 0), ints(info, 1), ints(info, 2))); }
DEF(squeeze) {
  if (isNullish(info, 1)) RET(T(info, 0).squeeze());
  RET(T(info, 0).squeeze(i64(info, 1)));
}
DEF(unsqueeze) { RET(T(info, 0).unsqueeze(i64(info, 1))); }
DEF(expand) { RET(T(info, 0).expand(ints(info, 1))); }
DEF(repeat) { RET(T(info, 0).repeat(ints(info, 1))); }
DEF(flatten) { RET(T(info, 0).flatten(i64(info, 1), i64(info, 2))); }
DEF(gather) { RET(at::gather(T(info, 0), i64(info, 1), T(info, 2))); }
DEF(scatter) { RET(at::scatter(T(info, 0), i64(info, 1), T(info, 2), T(info, 3))); }
DEF(cat) { RET(at::cat(tensorList(info, 0), i64(info, 1))); }
DEF(stack) { RET(at::stack(tensorList(info, 0), i64(info, 1))); }
DEF(split) { return tensorArray(ENV, at::split(T(info, 0), i64(info, 1), i64(info, 2))); }
DEF(chunk) { return tensorArray(ENV, at::chunk(T(info, 0), i64(info, 1), i64(info, 2))); }
DEF(unbind) { return tensorArray(ENV, at::unbind(T(info, 0), i64(info, 1))); }
DEF(where) { RET(at::where(T(info, 0), T(info, 1), T(info, 2))); }
DEF(whereScalar) { RET(at::where(T(info, 0), T(info, 1), S(info, 2))); }
DEF(maskedFill) { RET(at::masked_fill(T(info, 0), T(info, 1), S(info, 2))); }
DEF(maskedSelect) { RET(at::masked_select(T(info, 0), T(info, 1))); }
DEF(nonzero) { RET(at::nonzero(T(info, 0))); }
DEF(triu) { RET(at::triu(T(info, 0), isNullish(info, 1) ? 0 : i64(info, 1))); }
DEF(unique) {
  auto r = at::_unique2(T(info, 0), /*sorted=*/true, /*return_inverse=*/false, /*return_counts=*/flag(info, 1));
  return tensorArray(ENV, {std::get<0>(r), std::get<2>(r)});
}
DEF(sort) {
  auto r = at::sort(T(info, 0), i64(info, 1), flag(info, 2));
  return tensorArray(ENV, {std::get<0>(r), std::get<1>(r)});
}
DEF(topk) {
  auto r = at::topk(T(info, 0), i64(info, 1), i64(info, 2), flag(info, 3), true);
  return tensorArray(ENV, {std::get<0>(r), std::get<1>(r)});
}
// pad(x, pads, mode, value): mode "constant" | "reflect" | "replicate" | "circular" (PyTorch's F.pad).
DEF(pad) {
  std::string mode = str(info, 2);
  RET(at::pad(T(info, 0), ints(info, 1), mode, OD(info, 3)));
}

void registerShape(Napi::Env env, Napi::Object exports) {
  REG(reshape); REG(view); REG(permute); REG(transpose); REG(narrow); REG(slice); REG(select);
  REG(indexSelect); REG(flip); REG(roll); REG(squeeze); REG(unsqueeze); REG(expand); REG(repeat);
  REG(flatten); REG(gather); REG(scatter); REG(cat); REG(stack); REG(split); REG(chunk); REG(unbind);
  REG(where); REG(whereScalar); REG(maskedFill); REG(maskedSelect); REG(nonzero); REG(triu); REG(unique);
  REG(sort); REG(topk); REG(pad);
}

}  // namespace cs
