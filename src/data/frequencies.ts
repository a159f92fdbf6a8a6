// frequencies.ts owns class statistics of the training labels, for class-weighted losses:
// - inverse frequency: w_c = 1 / (K * f_c) over the K classes present, so sum_c f_c w_c = 1
//   (the average pixel weight stays 1 and the loss scale is unchanged);
// - median frequency balancing (Eigen & Fergus 2015): freq_c = pixels of c / pixels of the images
//   that contain c, w_c = median_c(freq_c) / freq_c.
// Absent classes get weight 0 (they contribute nothing to the loss anyway).
import { UNANNOTATED } from "../io/image.js";
import { percentile } from "../util/stats.js";

export interface ClassFrequencies {
  readonly numClasses: number;
  /** Pixels of each class. */
  readonly counts: readonly number[];
  /** counts / all pixels. */
  readonly frequencies: readonly number[];
  /** Pixels of the images in which the class appears (median-frequency denominator). */
  readonly presentPixels: readonly number[];
}

export function classFrequencies(slices: readonly { readonly label: Uint8Array }[], numClasses: number): ClassFrequencies {
  const counts = new Array<number>(numClasses).fill(0), present = new Array<number>(numClasses).fill(0);
  const local = new Float64Array(256);
  let total = 0;
  for (const s of slices) {
    local.fill(0);
    const l = s.label;
    for (let i = 0; i < l.length; i++) local[l[i]]++;
    for (let v = numClasses; v < 256; v++) {
      if (local[v] > 0 && v !== UNANNOTATED) throw new Error(`classFrequencies: label value ${v} outside 0-${numClasses - 1}`);
    }
    // Voxels not annotated (partial labels) count for no class.
    const annotated = l.length - local[UNANNOTATED];
    for (let c = 0; c < numClasses; c++) {
      counts[c] += local[c];
      if (local[c] > 0) present[c] += annotated;
    }
    total += annotated;
  }
  return { numClasses, counts, frequencies: counts.map((n) => (total > 0 ? n / total : 0)), presentPixels: present };
}

export type ClassWeighting = "inverse" | "median";

export function classWeights(f: ClassFrequencies, mode: ClassWeighting): number[] {
  if (mode === "inverse") {
    const k = f.frequencies.filter((v) => v > 0).length;
    return f.frequencies.map((v) => (v > 0 ? 1 / (k * v) : 0));
  }
  const freq = f.counts.map((n, c) => (n > 0 ? n / f.presentPixels[c] : 0));
  const present = freq.filter((v) => v > 0);
  const med = present.length > 0 ? percentile(present, 50) : 0;
  return freq.map((v) => (v > 0 ? med / v : 0));
}
