// src/serve/engine.ts — the one seam between `cardioseg serve` and the inference engine: a
// model that labels one 3D frame slice by slice, yielding to the event loop between slices so
// the server keeps answering (progress, other pages) while libtorch works. Everything else in
// src/serve talks to ServerEngine only, so another engine (ONNX Runtime) changes this file alone.
import type { ImageVolume, LabelVolume } from "../io/image.js";

export interface ModelInfo {
  /** The --model argument as given (run folder or weights file). */
  readonly source: string;
  readonly weightsPath: string;
  /** Class names by label value; 0 is background ("background", "RV", "MYO", "LV" for regions). */
  readonly classNames: readonly string[];
  /** In-plane spacing (mm) the network works at. */
  readonly spacing: number;
}

export interface ServerEngine {
  readonly info: ModelInfo;
  /**
   * The label map of one 3D frame, the same voxels as `cardioseg predict` gives (no TTA, no
   * clean-up). `onSlice(k, nz, labels)` follows each slice; `cancelled()` is checked between
   * slices and stops early with an error.
   */
  segmentFrame(volume: ImageVolume, onSlice: (k: number, nz: number, labels: Uint8Array) => void,
    cancelled?: () => boolean): Promise<LabelVolume>;
  dispose(): void;
}

export class CancelledError extends Error {
  constructor() {
    super("segmentation cancelled");
    this.name = "CancelledError";
  }
}

/** Loads the model of a run folder or weights file onto the CPU (libtorch is imported here, lazily). */
export async function loadServerEngine(model: string, o: { threads?: number } = {}): Promise<ServerEngine> {
  const { loadPredictor } = await import("../infer/engines.js");
  const predictor = await loadPredictor(model, "libtorch", { threads: o.threads });
  const info: ModelInfo = {
    source: model, weightsPath: predictor.weightsPath, classNames: [...predictor.classNames], spacing: predictor.config.data.spacing,
  };
  return {
    info,
    async segmentFrame(volume, onSlice, cancelled) {
      if (volume.dims.slice(3).some((d) => d > 1)) throw new Error(`expected one 3D frame, got ${volume.dims.join("x")}`);
      const [nx, ny, nz = 1] = volume.dims;
      const plane = nx * ny;
      // predict's own volume predictor (same preprocessing, network and resampling as
      // `cardioseg predict`); it yields to the event loop after each batch of slices.
      return predictor.predictVolumeAsync(volume, (p) => {
        for (let k = p.from; k < p.to; k++) onSlice(k, nz, p.labels.data.subarray(k * plane, (k + 1) * plane));
        if (cancelled?.()) throw new CancelledError();
      });
    },
    dispose: () => predictor.dispose(),
  };
}
