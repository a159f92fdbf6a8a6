// The training forward's precision: bf16-mixed gives float32 logits from bfloat16 convolutions, and
// falls back to float32 (saying so) on a CPU whose /proc/cpuinfo flags lack AVX512-BF16 and AMX-BF16.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DeepLabV3, defaultModelConfig } from "../../src/models/index.js";
import { cpuHasNativeBf16, randn, tidy } from "../../src/tensor/index.js";
import { effectivePrecision, trainingForward } from "../../src/train/forward.js";

const ZEN4 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n";
const AVX2 = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma\nbugs\t\t: avx512_bf16\n";
const SAPPHIRE = "flags\t\t: avx512f amx_bf16 amx_tile\n";

test("native bfloat16 is read from the flags line only", () => {
  assert.equal(cpuHasNativeBf16(ZEN4), true);
  assert.equal(cpuHasNativeBf16(SAPPHIRE), true);
  assert.equal(cpuHasNativeBf16(AVX2), false); // the name on another line does not count
  assert.equal(cpuHasNativeBf16(null), false);
});

test("bf16-mixed falls back to float32 on a CPU without bfloat16, with a note; float32 stays", () => {
  assert.deepEqual(effectivePrecision("bf16-mixed", "cpu", true), { precision: "bf16-mixed", note: null });
  const fallback = effectivePrecision("bf16-mixed", "cpu", false);
  assert.equal(fallback.precision, "float32");
  assert.match(fallback.note ?? "", /no AVX512-BF16\/AMX.*training in float32/);
  assert.deepEqual(effectivePrecision("float32", "cpu", true), { precision: "float32", note: null });
  assert.equal(effectivePrecision("bf16-mixed", "cuda", false).precision, "bf16-mixed");
});

test("the bf16-mixed forward returns float32 logits close to the float32 forward's", () => {
  const model = new DeepLabV3({ ...defaultModelConfig, arch: "deeplabv3plus", backbone: 18, width: 8, asppChannels: 16,
    numClasses: 4, inChannels: 1, outputStride: 16, auxLoss: true }).eval();
  tidy(() => {
    const x = randn([2, 1, 64, 64]);
    const ref = trainingForward(model, x, { precision: "float32", device: "cpu", channelsLast: false });
    const mixed = trainingForward(model, x, { precision: "bf16-mixed", device: "cpu", channelsLast: false });
    assert.equal(mixed.out.dtype, "float32");
    const err = mixed.out.sub(ref.out).abs().max().item();
    const scale = ref.out.abs().max().item();
    assert.ok(err > 0, "the bf16-mixed forward computed in float32");
    assert.ok(err < 0.05 * scale, `bf16 logits off by ${err} (scale ${scale})`);
  });
  model.dispose();
});
