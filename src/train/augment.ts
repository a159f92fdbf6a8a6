// augment.ts (src/train) owns turning a training batch into tensors on the training device. A plain
// Batch is copied as it is. A CropBatch (src/data/batch.ts: source windows on a canvas plus each
// sample's draws) is rendered on libtorch: ONE affine_grid (plus the bicubically upsampled elastic
// displacement) and ONE grid_sample per batch for the images (bilinear) and ONE for the labels
// (nearest, or one-hot + bilinear + argmax), then the intensity transforms as tensor ops, in this
// order: clip and map to [0, 1] between each slice's clip values, inverted gamma, gamma,
// normalisation and brightness (one multiply-add with per-sample factors), noise, blur, contrast,
// simulated low resolution. (nnU-Net applies gamma last, on z-scored data; here gamma acts on the
// clip range, as cardioseg's augmentation always has.)
// Transforms that only some samples draw run on those samples' own slices of the batch, with their
// own parameters and their own seeded Generator (noise), so a sample's pixels are bit for bit the
// same whatever batch it lands in — in one process or split over several.
import { isCropBatch, type Batch, type CropBatch, type IntensityDraw } from "../data/types.js";
import { F, fromTypedArray, Generator, randn, tidy, type DeviceLike, type Tensor } from "../tensor/index.js";

export interface TrainingTensors {
  /** [B, 1, H, W] float32. */
  readonly images: Tensor;
  /** [B, H, W] int64 class indices. */
  readonly labels: Tensor;
}

/** Label value given to pixels whose label is not below the class count ("linear" labels only). */
export const OTHER_LABEL = 255;

/** Images and labels of `batch` on `device`; call inside tidy() (every intermediate is scoped). */
export function batchTensors(batch: Batch | CropBatch, device: DeviceLike, numClasses = 0): TrainingTensors {
  if (isCropBatch(batch)) return renderCropBatch(batch, device, numClasses);
  const { batchSize: B, height: H, width: W } = batch;
  return {
    images: fromTypedArray(batch.images, [B, 1, H, W]).to(device),
    labels: fromTypedArray(batch.labels, [B, H, W]).to({ dtype: "int64", device }),
  };
}

function onDevice(data: Float32Array | Uint8Array, shape: number[], device: DeviceLike): Tensor {
  // On the CPU the batch's own buffer backs the tensor (no copy); the batch outlives the step.
  return device === "cpu" ? fromTypedArray(data, shape, { share: true }) : fromTypedArray(data, shape, { device });
}

/** A CropBatch rendered on the CPU into a plain Batch (for tests, pictures and debugging). */
export function renderToBatch(b: CropBatch, numClasses = 0): Batch {
  return tidy(() => {
    const t = renderCropBatch(b, "cpu", numClasses);
    const images = t.images.toFloat32Array();
    const labels = t.labels.to("uint8").toArray() as Uint8Array;
    return { images, labels, ids: b.ids, batchSize: b.batchSize, height: b.height, width: b.width };
  });
}

/** Renders a CropBatch; `numClasses` is needed for "linear" labels only. */
export function renderCropBatch(b: CropBatch, device: DeviceLike, numClasses = 0): TrainingTensors {
  const { batchSize: B, canvasHeight: Hc, canvasWidth: Wc } = b;
  const grid = samplingGrid(b, device);
  const canvas = onDevice(b.canvas, [B, 1, Hc, Wc], device);
  // Border padding reads the canvas's one-pixel frame of air beyond its edge.
  const raw = F.gridSample(canvas, grid, { mode: "bilinear", paddingMode: "border" });
  return { images: intensity(raw, b, device), labels: renderLabels(b, grid, device, numClasses) };
}

/** affine_grid of the batch's matrices, plus each sample's elastic displacement field. */
function samplingGrid(b: CropBatch, device: DeviceLike): Tensor {
  const { batchSize: B, height: H, width: W } = b;
  const grid = F.affineGrid(fromTypedArray(b.theta, [B, 2, 3]).to(device), [B, 1, H, W], false);
  if (!b.elastic) return grid;
  const g = Math.round(Math.sqrt(b.elastic.length / (2 * B)));
  const control = fromTypedArray(b.elastic, [B, 2, g, g]).to(device);
  const field = F.interpolate(control, { size: [H, W], mode: "bicubic", alignCorners: true });
  return grid.add(field.permute([0, 2, 3, 1]));
}

function renderLabels(b: CropBatch, grid: Tensor, device: DeviceLike, numClasses: number): Tensor {
  const { batchSize: B, canvasHeight: Hc, canvasWidth: Wc } = b;
  const labels = onDevice(b.canvasLabels, [B, 1, Hc, Wc], device);
  if (b.labelMode === "nearest") {
    const out = F.gridSample(labels.to("float32"), grid, { mode: "nearest", paddingMode: "zeros" });
    return out.squeeze(1).to("int64");
  }
  if (!(numClasses > 0)) throw new Error("augment: \"linear\" labels need the number of classes");
  // One channel per class and one for anything else; bilinear; the class with the largest weight.
  // (C stands for "anything else" after the clamp; cat() of C + 1 separate masks took 15x longer.)
  const masks = F.oneHotChannels(labels.clamp(0, numClasses), numClasses + 1);
  const weights = F.gridSample(masks.to("float32"), grid, { mode: "bilinear", paddingMode: "zeros" });
  const best = weights.argmax(1);
  return best.maskedFill(best.eq(numClasses), OTHER_LABEL);
}

/** Per-sample [B,1,1,1] factors from JS numbers. */
function perSample(values: number[], device: DeviceLike): Tensor {
  return fromTypedArray(Float32Array.from(values), [values.length, 1, 1, 1]).to(device);
}

function intensity(raw: Tensor, b: CropBatch, device: DeviceLike): Tensor {
  const B = b.batchSize, s = b.stats;
  const lo: number[] = [], inv: number[] = [], scale: number[] = [], offset: number[] = [];
  for (let i = 0; i < B; i++) {
    const [l, h, mean, std] = [s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]];
    const range = h - l, bright = b.intensity[i].brightness;
    lo.push(l);
    inv.push(range > 0 ? 1 / range : 0);
    scale.push((range * bright) / std);
    offset.push(((l - mean) * bright) / std);
  }
  const unit = raw.sub(perSample(lo, device)).mul(perSample(inv, device)).clamp(0, 1);
  b.intensity.forEach((d, i) => {
    if (d.gamma !== 1 || d.gammaInverted !== 1) inPlace(unit, i, (x) => gamma(x, d));
  });
  const image = unit.mul(perSample(scale, device)).add(perSample(offset, device));
  b.intensity.forEach((d, i) => {
    if (d.noiseStd > 0 || d.blurSigma > 0 || d.contrast !== 1 || d.lowResZoom !== 1) inPlace(image, i, (x) => perSampleTransforms(x, d, device));
  });
  return image;
}

/** Replaces sample i of `batch` by fn(sample i). */
function inPlace(batch: Tensor, i: number, fn: (x: Tensor) => Tensor): void {
  const view = batch.narrow(0, i, 1);
  view.copy_(fn(view));
}

function gamma(x: Tensor, d: IntensityDraw): Tensor {
  let y = x;
  if (d.gammaInverted !== 1) y = y.rsub(1).pow(d.gammaInverted).rsub(1);
  if (d.gamma !== 1) y = y.pow(d.gamma);
  return y;
}

function perSampleTransforms(x: Tensor, d: IntensityDraw, device: DeviceLike): Tensor {
  let y = x;
  if (d.noiseStd > 0) {
    const noise = randn(x.shape, { generator: new Generator(d.noiseSeed) }).to(device);
    y = y.add(noise.mul(d.noiseStd));
  }
  if (d.blurSigma > 0) y = gaussianBlur(y, d.blurSigma, device);
  if (d.contrast !== 1) {
    // nnU-Net's ContrastAugmentationTransform with preserve_range: scale about the mean, clip to the old range.
    const mean = y.mean();
    y = y.sub(mean).mul(d.contrast).add(mean).clamp(y.min(), y.max());
  }
  if (d.lowResZoom !== 1) {
    const [, , H, W] = y.shape;
    const size: [number, number] = [Math.max(1, Math.round(H * d.lowResZoom)), Math.max(1, Math.round(W * d.lowResZoom))];
    const coarse = F.interpolate(y, { size, mode: "nearest" });
    y = F.interpolate(coarse, { size: [H, W], mode: "bicubic", alignCorners: false });
  }
  return y;
}

/**
 * Separable Gaussian blur of [1,1,H,W] with mirrored borders: the kernel of
 * scipy.ndimage.gaussian_filter(mode="mirror", truncate=3) (radius int(3 sigma + 0.5)).
 */
export function gaussianBlur(x: Tensor, sigma: number, device: DeviceLike): Tensor {
  const [, , H, W] = x.shape;
  const r = Math.min(Math.floor(3 * sigma + 0.5), H - 1, W - 1);
  if (r < 1) return x;
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, v) => a + v, 0);
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const kx = fromTypedArray(k, [1, 1, 1, 2 * r + 1]).to(device), ky = fromTypedArray(k, [1, 1, 2 * r + 1, 1]).to(device);
  const rows = F.conv2d(F.pad(x, [r, r, 0, 0], "reflect"), kx);
  return F.conv2d(F.pad(rows, [0, 0, r, r], "reflect"), ky);
}
