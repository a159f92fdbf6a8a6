// metadata.ts owns what an exported model says about itself in ONNX metadata_props, so another host
// (onnxruntime-web, MONAI Deploy, a C++ viewer) can feed it correctly: the input spacing, the
// normalisation, the crop/pad policy, the postprocessing, class names and label numbers, the cardioseg
// version and a hash of the training config. Every value is a string; structured ones are JSON.
// README "ONNX export" documents the keys; change both together.
import { createHash } from "node:crypto";
import type { ExperimentConfig } from "../train/config.js";
import { taskClassNames } from "../data/tasks.js";
import { DEFAULT_HIGH_PERCENTILE, DEFAULT_LOW_PERCENTILE, MIN_STD } from "../data/normalize.js";

/** Version of this metadata layout; bump it when a key changes meaning. */
export const METADATA_FORMAT = "cardioseg-onnx-1";
/** Whole slices are padded up to a multiple of this before the network (src/infer/predictor.ts). */
export const PAD_MULTIPLE = 16;

export const INPUT_NAME = "image";
export const OUTPUT_NAME = "logits";

export interface ClassEntry { label: number; name: string }

export interface ExportProvenance {
  cardiosegVersion: string;
  /** The weights file exported and its training iteration (from its metadata). */
  weights: string;
  /** sha256 (hex) of the weights file: which weights an .onnx found beside them or in a cache was built from. */
  weightsSha256?: string;
  iteration: number | null;
  foldBatchNorm: boolean;
  opset: number;
  dynamic: boolean;
}

/** sha256 (hex) of the training config as cardioseg serialises it (JSON.stringify of the resolved config). */
export function configHash(config: ExperimentConfig): string {
  return createHash("sha256").update(JSON.stringify(config)).digest("hex");
}

/** The classes the network's output channels stand for: channel c = label c. */
export function classEntries(config: ExperimentConfig): ClassEntry[] {
  const names = taskClassNames({ name: config.data.task });
  return names.map((name, label) => ({ label, name }));
}

/** metadata_props of an exported model. */
export function exportMetadata(config: ExperimentConfig, p: ExportProvenance): Record<string, string> {
  const spacing = config.data.spacing;
  const preprocessing = {
    input: `${INPUT_NAME} [N, ${config.model.inChannels}, H, W] float32, one 2D slice per batch item`,
    resample: { spacing_mm: [spacing, spacing], interpolation: "bilinear", note: "in-plane only, from the slice's own pixel spacing" },
    normalisation: {
      method: "percentile_clip_zscore",
      low_percentile: DEFAULT_LOW_PERCENTILE,
      high_percentile: DEFAULT_HIGH_PERCENTILE,
      statistics: "per 2D slice, on its original pixels: clip to [low, high] percentiles (linear interpolation), " +
        `then subtract the mean and divide by the population standard deviation of the clipped values (1 when below ${MIN_STD})`,
    },
    crop_pad: {
      inference: `whole resampled slice, centred, padded on each side up to a multiple of ${PAD_MULTIPLE} pixels`,
      pad_value: "the normalised value of the low clip",
      training_crop_px: config.data.cropSize,
    },
  };
  const postprocessing = {
    output: `${OUTPUT_NAME} [N, ${config.model.numClasses}, H, W] float32: unnormalised class scores at the input size`,
    probabilities: "softmax over axis 1",
    restore: "remove the padding, resample the probabilities bilinearly back to the original grid",
    labels: "argmax over axis 1; channel c is label c",
  };
  return {
    "cardioseg.format": METADATA_FORMAT,
    "cardioseg.version": p.cardiosegVersion,
    "cardioseg.config_sha256": configHash(config),
    "cardioseg.config": JSON.stringify(config),
    "cardioseg.model": JSON.stringify(config.model),
    "cardioseg.task": config.data.task,
    "cardioseg.classes": JSON.stringify(classEntries(config)),
    "cardioseg.spacing_mm": String(spacing),
    "cardioseg.preprocessing": JSON.stringify(preprocessing),
    "cardioseg.postprocessing": JSON.stringify(postprocessing),
    "cardioseg.weights": p.weights,
    "cardioseg.weights_sha256": p.weightsSha256 ?? "",
    "cardioseg.iteration": p.iteration === null ? "" : String(p.iteration),
    "cardioseg.fold_bn": String(p.foldBatchNorm),
    "cardioseg.dynamic": String(p.dynamic),
  };
}

/** What a runtime needs back from an exported model's metadata. */
export interface ExportedModelInfo {
  classes: ClassEntry[];
  spacingMm: number;
  config: ExperimentConfig;
  /** sha256 of the weights it was exported from ("" when the export predates the key). */
  weightsSha256: string;
}

/** Reads metadata written by exportMetadata; throws naming `source` when it is not a cardioseg export. */
export function readExportMetadata(meta: Readonly<Record<string, string>>, source: string): ExportedModelInfo {
  if (meta["cardioseg.format"] !== METADATA_FORMAT) {
    const format = JSON.stringify(meta["cardioseg.format"] ?? null);
    throw new Error(`${source}: not a model exported by cardioseg (metadata cardioseg.format is ${format})`);
  }
  try {
    return {
      classes: JSON.parse(meta["cardioseg.classes"]) as ClassEntry[],
      spacingMm: Number(meta["cardioseg.spacing_mm"]),
      config: JSON.parse(meta["cardioseg.config"]) as ExperimentConfig,
      weightsSha256: meta["cardioseg.weights_sha256"] ?? "",
    };
  } catch (err) {
    throw new Error(`${source}: unreadable cardioseg metadata (${(err as Error).message})`);
  }
}
