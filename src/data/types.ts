// src/data — the data pipeline between src/io and the trainer: 2D short-axis slices with labels
// and provenance, patient splits, preprocessing (resampling, crop/pad, intensity normalisation)
// and its inverse, label tasks, augmentation, batching with exact resume, class frequencies.
// Engine-free on purpose (plain typed arrays) so it runs in a worker thread; the trainer turns
// batches into tensors (src/train/augment.ts renders a CropBatch's augmentation on libtorch).
// types.ts owns the shapes shared by every file of the folder.

/** Where a slice came from, kept with every sample so predictions and metrics can be traced. */
export interface SliceProvenance {
  readonly patient: string;
  /** Case (volume) id, e.g. patient001_frame01. */
  readonly caseId: string;
  /** ED, ES, a frame name, or "" when unknown. */
  readonly phase: string;
  /** Index k of the slice in its volume. */
  readonly sliceIndex: number;
  /** In-plane spacing [x (columns), y (rows)] in mm. */
  readonly spacing: readonly [number, number];
  readonly imageFile: string;
  readonly labelFile: string;
}

/**
 * One labelled 2D slice at its original geometry. Pixel (x, y) is at index y * width + x, i.e.
 * the NIfTI slice k of a volume as stored (x = i, the column; y = j, the row).
 */
export interface Slice2D {
  readonly image: Float32Array;
  readonly label: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly provenance: SliceProvenance;
}

/** The label task a network is trained for. */
export type TaskName = "regions" | "contour";

export interface TaskSpec {
  readonly name: TaskName;
  /** contour only: total width of the band along each contour. */
  readonly bandWidth?: number;
  /** contour only: unit of bandWidth (default "mm"). */
  readonly bandUnit?: "mm" | "px";
}

/** A training batch: images [B,1,H,W] and labels [B,H,W], row-major. */
export interface Batch {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly ids: readonly string[];
  readonly batchSize: number;
  readonly height: number;
  readonly width: number;
}

/** The per-sample intensity transforms of a CropBatch (see augment.ts's SampleDraw). */
export interface IntensityDraw {
  readonly gamma: number;
  readonly gammaInverted: number;
  readonly noiseStd: number;
  readonly noiseSeed: number;
  readonly blurSigma: number;
  readonly brightness: number;
  readonly contrast: number;
  readonly lowResZoom: number;
}

/**
 * A training batch before rendering (what TrainLoader serves): each sample's source window copied
 * onto its canvas (raw intensities; the slice's low clip value, "air", around it) and what
 * src/train/augment.ts needs to render images [B,1,H,W] and labels [B,H,W] on libtorch.
 */
export interface CropBatch {
  /** [B, canvasHeight, canvasWidth] raw intensities / task labels, row-major. */
  readonly canvas: Float32Array;
  readonly canvasLabels: Uint8Array;
  readonly canvasWidth: number;
  readonly canvasHeight: number;
  /** [B, 2, 3] affine_grid matrices (output grid -> canvas grid, align_corners false). */
  readonly theta: Float32Array;
  /** [B, 4]: each sample's intensity stats lo, hi, mean, std (normalize.ts). */
  readonly stats: Float32Array;
  /** [B, 2, g, g] elastic control displacements in canvas grid units (zeros where off), or null. */
  readonly elastic: Float32Array | null;
  readonly intensity: readonly IntensityDraw[];
  readonly labelMode: "nearest" | "linear";
  readonly ids: readonly string[];
  readonly batchSize: number;
  /** Output size. */
  readonly height: number;
  readonly width: number;
}

export function isCropBatch(b: Batch | CropBatch): b is CropBatch {
  return "canvas" in b;
}

/** Identifier of a slice in batches and reports: caseId/sliceIndex. */
export function sliceId(p: SliceProvenance): string {
  return `${p.caseId}/s${String(p.sliceIndex).padStart(2, "0")}`;
}
