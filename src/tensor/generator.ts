// Random generators: a seedable Generator (wrapping libtorch's at::Generator, so sequences equal
// PyTorch's torch.Generator for the same seed and device) with byte-exact state save/restore for
// resuming. A generator draws for tensors on its own device (CPU: Mersenne Twister; CUDA: Philox).
import { N, type NativeGenerator } from "./native.js";
import { checkDevice, type DeviceLike } from "./dtype.js";

export class Generator {
  /** @internal */
  readonly _g: NativeGenerator;

  /** A new generator on `device` (default CPU); without a seed it is seeded non-deterministically. */
  constructor(seed?: number, device: DeviceLike = "cpu") {
    this._g = N.generatorNew(seed, checkDevice(device));
  }
  /** The device whose tensors this generator fills ("cpu", "cuda:0", …). */
  get device(): DeviceLike {
    return N.generatorDevice(this._g) as DeviceLike;
  }
  manualSeed(seed: number): this {
    N.generatorManualSeed(this._g, seed);
    return this;
  }
  /** The seed this generator was last seeded with (PyTorch's initial_seed()). */
  get seed(): number {
    return N.generatorInitialSeed(this._g);
  }
  initialSeed(): number {
    return N.generatorInitialSeed(this._g);
  }
  /** The full internal state (PyTorch's get_state(): a byte tensor, here its bytes). */
  getState(): Uint8Array {
    return N.generatorGetState(this._g);
  }
  setState(state: Uint8Array): this {
    N.generatorSetState(this._g, state);
    return this;
  }
}

/** Seeds libtorch's global default generators (CPU and every CUDA device), like torch.manual_seed. */
export function manualSeed(seed: number): void {
  N.manualSeed(seed);
}
