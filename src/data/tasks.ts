// tasks.ts owns the label tasks: what a network is trained to output, made from ACDC-numbered
// labels (0 background, 1 RV, 2 myocardium, 3 LV cavity).
// - regions: the ACDC labels as they are (4 classes).
// - contour (the founding note's task): 2 classes, 1 = a band of a given total width along the
//   endocardial contour (LV cavity boundary) and the epicardial contour (outer boundary of
//   myocardium + cavity), 0 = everything else.
// Contour geometry: a region is the union of its pixel squares, so its contour is the set of pixel
// edges between a member and a non-member 4-neighbour. A pixel is in the band when its centre lies
// within bandWidth/2 of that contour (distances in mm with the slice's spacing, or in pixels).
// On a grid the band is therefore at least one pixel each side of the contour.
import type { TaskSpec } from "./types.js";
import { UNANNOTATED } from "../io/image.js";

export const LABEL_RV = 1, LABEL_MYO = 2, LABEL_LV = 3;
export const ACDC_CLASS_NAMES = ["background", "RV", "MYO", "LV"] as const;
export const CONTOUR_CLASS_NAMES = ["background", "contour"] as const;
/** Default total band width for the contour task (mm). */
export const DEFAULT_BAND_WIDTH_MM = 3;
/** Source labels must lie in 0..MAX_SOURCE_LABEL (ACDC numbering) for both tasks, or be UNANNOTATED. */
export const MAX_SOURCE_LABEL = 3;
export { UNANNOTATED };

export function taskNumClasses(task: TaskSpec): number {
  return task.name === "regions" ? 4 : 2;
}

export function taskClassNames(task: TaskSpec): readonly string[] {
  return task.name === "regions" ? ACDC_CLASS_NAMES : CONTOUR_CLASS_NAMES;
}

/** Task labels for one slice (a new array; the source is left untouched). */
export function applyTask(
  label: Uint8Array, width: number, height: number, spacing: readonly [number, number], task: TaskSpec,
): Uint8Array {
  if (task.name === "regions") return label.slice();
  if (task.name !== "contour") throw new Error(`unknown task "${String((task as TaskSpec).name)}" (expected regions or contour)`);
  const bw = task.bandWidth ?? DEFAULT_BAND_WIDTH_MM;
  if (!(bw > 0)) throw new Error(`contour task: bandWidth must be > 0 (got ${bw})`);
  const sp: readonly [number, number] = (task.bandUnit ?? "mm") === "px" ? [1, 1] : spacing;
  const band = new Uint8Array(width * height);
  const endo = (l: number): boolean => l === LABEL_LV;
  const epi = (l: number): boolean => l === LABEL_MYO || l === LABEL_LV;
  stampContourBand(label, width, height, endo, sp, bw / 2, band);
  stampContourBand(label, width, height, epi, sp, bw / 2, band);
  // Where the source is not annotated, a missing contour's band may lie: unknown unless stamped.
  for (let i = 0; i < band.length; i++) if (label[i] === UNANNOTATED && band[i] === 0) band[i] = UNANNOTATED;
  return band;
}

// Ties (a centre exactly at bandWidth/2) belong to the band.
const TIE_EPS = 1e-9;

/** Sets band[p] = 1 for every pixel centre within `radius` of the contour of {inside(label)}. */
export function stampContourBand(
  label: Uint8Array, width: number, height: number, inside: (l: number) => boolean,
  spacing: readonly [number, number], radius: number, band: Uint8Array,
): void {
  const [sx, sy] = spacing;
  const rx = radius / sx, ry = radius / sy, r2 = radius * radius + TIE_EPS;
  // Segment (ax..bx, ay..by) in pixel coordinates; one of the two extents is zero.
  const stamp = (ax: number, bx: number, ay: number, by: number): void => {
    const x0 = Math.max(0, Math.ceil(ax - rx)), x1 = Math.min(width - 1, Math.floor(bx + rx));
    const y0 = Math.max(0, Math.ceil(ay - ry)), y1 = Math.min(height - 1, Math.floor(by + ry));
    for (let y = y0; y <= y1; y++) {
      const dy = (y < ay ? ay - y : y > by ? y - by : 0) * sy;
      for (let x = x0; x <= x1; x++) {
        const dx = (x < ax ? ax - x : x > bx ? x - bx : 0) * sx;
        if (dx * dx + dy * dy <= r2) band[y * width + x] = 1;
      }
    }
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const a = inside(label[y * width + x]);
      if (x + 1 < width && a !== inside(label[y * width + x + 1])) stamp(x + 0.5, x + 0.5, y - 0.5, y + 0.5);
      if (y + 1 < height && a !== inside(label[(y + 1) * width + x])) stamp(x - 0.5, x + 0.5, y + 0.5, y + 0.5);
    }
  }
}
