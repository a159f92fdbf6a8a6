// stats.ts owns the numbers that compare the phantom with real ACDC scans. It measures exactly
// what scripts/fixtures/acdc_phantom_stats.py measures on ACDC (mid-ventricular slice: the middle
// of the slices containing LV cavity), so test/fixtures/synth/acdc-stats.json is a like-for-like
// reference.
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { LABEL } from "./render.js";
import { percentile } from "../util/stats.js";

export interface MidSliceStats {
  readonly bloodMyoRatio: number;
  /** null when the mid slice has no RV. */
  readonly rvMyoRatio: number | null;
  readonly lvAreaMm2: number;
  readonly myoAreaMm2: number;
  readonly rvAreaMm2: number;
  readonly brighterThanBloodFraction: number;
  readonly bloodOverP99: number;
}

export { percentile } from "../util/stats.js";

/** Index of the mid-ventricular slice, or -1 when no slice contains LV cavity. */
export function midVentricularSlice(labels: LabelVolume): number {
  const [nx, ny, nz] = labels.dims;
  const withLv: number[] = [];
  for (let k = 0; k < nz; k++) {
    const slice = labels.data.subarray(k * nx * ny, (k + 1) * nx * ny);
    if (slice.includes(LABEL.lv)) withLv.push(k);
  }
  return withLv.length === 0 ? -1 : withLv[Math.floor(withLv.length / 2)];
}

export function midSliceStats(image: ImageVolume, labels: LabelVolume): MidSliceStats {
  const [nx, ny] = labels.dims;
  const k = midVentricularSlice(labels);
  if (k < 0) throw new Error("no slice contains LV cavity");
  const n = nx * ny, img = image.data.subarray(k * n, (k + 1) * n), lab = labels.data.subarray(k * n, (k + 1) * n);
  const sum = [0, 0, 0, 0], count = [0, 0, 0, 0];
  for (let p = 0; p < n; p++) { sum[lab[p]] += img[p]; count[lab[p]]++; }
  const mean = (c: number): number => sum[c] / count[c];
  const pixelMm2 = labels.spacing[0] * labels.spacing[1];
  let brighter = 0;
  for (let p = 0; p < n; p++) if (img[p] > mean(LABEL.lv)) brighter++;
  return {
    bloodMyoRatio: mean(LABEL.lv) / mean(LABEL.myo),
    rvMyoRatio: count[LABEL.rv] > 0 ? mean(LABEL.rv) / mean(LABEL.myo) : null,
    lvAreaMm2: count[LABEL.lv] * pixelMm2,
    myoAreaMm2: count[LABEL.myo] * pixelMm2,
    rvAreaMm2: count[LABEL.rv] * pixelMm2,
    brighterThanBloodFraction: brighter / n,
    bloodOverP99: mean(LABEL.lv) / percentile(img, 99),
  };
}

/** Volume (mm^3) of one label. */
export function labelVolumeMm3(labels: LabelVolume, label: number): number {
  let count = 0;
  for (const v of labels.data) if (v === label) count++;
  return count * labels.spacing[0] * labels.spacing[1] * labels.spacing[2];
}
