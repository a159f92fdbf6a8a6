// Multi-tensor ops (torch._foreach_*), exported as `foreach`: one call updates a whole list of
// tensors in place, as torch.optim does with foreach=True. On the CPU ATen applies the
// single-tensor kernel to each element, so the results equal per-tensor calls bit for bit; what
// the list saves is one crossing into the addon (and one scope entry) per tensor.
import { N } from "./native.js";
import { Tensor } from "./tensor.js";

const handles = (ts: readonly Tensor[]): Tensor["_h"][] => ts.map((t) => t._h);

export function mul_(ts: readonly Tensor[], s: number): void {
  N.foreachMulScalar_(handles(ts), s);
}
export function addScalar_(ts: readonly Tensor[], s: number): void {
  N.foreachAddScalar_(handles(ts), s);
}
export function div_(ts: readonly Tensor[], s: number): void {
  N.foreachDivScalar_(handles(ts), s);
}
/** ts[i] += alpha * others[i]. */
export function add_(ts: readonly Tensor[], others: readonly Tensor[], alpha = 1): void {
  N.foreachAdd_(handles(ts), handles(others), alpha);
}
/** ts[i] += value * a[i] * b[i]. */
export function addcmul_(ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value = 1): void {
  N.foreachAddcmul_(handles(ts), handles(a), handles(b), value);
}
/** ts[i] += value * a[i] / b[i]. */
export function addcdiv_(ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value = 1): void {
  N.foreachAddcdiv_(handles(ts), handles(a), handles(b), value);
}
export function sqrt(ts: readonly Tensor[]): Tensor[] {
  return N.foreachSqrt(handles(ts)).map((h) => new Tensor(h));
}
