// packed-conv.ts owns the packed inference convolution: a Conv2d's float32 weights reordered once into
// the layout of oneDNN's kernel (native/src/onednn.cc says why libtorch's own call cannot), run on
// channels-last input without autograd, with oneDNN's Winograd kernel for 3x3 stride-1 convolutions
// where the CPU has one. Null where the addon was built without oneDNN's headers.
import { N } from "./native.js";
import type { NativePack } from "./native.js";
import { Tensor } from "./tensor.js";

export interface PackOptions {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  /**
   * Let 3x3 stride-1 convolutions use oneDNN's Winograd F(4x4, 3x3) (about twice as fast on AVX-512;
   * on this project's machine its error against a float64 reference was ~1e-5 where the direct kernel's
   * was ~1e-6). Other shapes and CPUs without the kernel run the direct one.
   */
  winograd: boolean;
}

/** Whether this addon can pack convolutions (built with oneDNN's headers: Debian's libdnnl-dev). */
export function packedConvolutionsAvailable(): boolean {
  return N.onednnAvailable();
}

export class PackedConvolution {
  private constructor(private readonly pack: NativePack) {}

  /**
   * Packs a copy of `weight` [O, I, kH, kW] and `bias` (float32, CPU, groups 1); later changes to them
   * are not seen. Null when this addon has no oneDNN or the convolution is not one it packs.
   */
  static create(weight: Tensor, bias: Tensor | null, options: PackOptions): PackedConvolution | null {
    if (!packedConvolutionsAvailable() || weight.dtype !== "float32" || weight.device !== "cpu") return null;
    const { stride, padding, dilation, winograd } = options;
    return new PackedConvolution(N.convPack(weight._h, bias?._h, stride, padding, dilation, winograd));
  }

  /** The convolution of `x` [N, I, H, W] (float32, CPU), channels-last; no autograd. */
  forward(x: Tensor): Tensor {
    return new Tensor(N.convPacked(this.pack, x._h));
  }

  /** The oneDNN kernel the last forward ran, e.g. "jit_wino_4x3:avx512_core" or "brgconv:avx512_core". */
  get implementation(): string {
    return N.convPackImplementation(this.pack);
  }
}
