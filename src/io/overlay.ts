// overlay.ts — the picture a cardiologist checks: a greyscale MR slice windowed to its 1st-99th
// percentile, labels as translucent colours (RV blue, myocardium green, LV red) and each label's
// outline drawn opaque; voxels not annotated (UNANNOTATED, 255) are left uncoloured, as background. Works on plain arrays and returns RGBA, so reports and synth previews can
// reuse it without files; png.ts saves the result.
import type { RgbaImage } from "./png.js";
import { percentileSorted } from "../util/stats.js";
import { UNANNOTATED } from "./image.js";

export type Rgb = readonly [number, number, number];

/** ACDC numbering: 1 RV cavity, 2 myocardium, 3 LV cavity; further labels cycle the extras. */
export const LABEL_COLOURS: readonly Rgb[] = [
  [0, 0, 0],
  [30, 110, 255],
  [40, 200, 70],
  [235, 40, 40],
  [250, 210, 30],
  [220, 60, 220],
  [30, 220, 220],
];

export interface OverlayOptions {
  /** Grey window [low, high]; default: 1st and 99th percentile of the slice. */
  window?: readonly [number, number];
  /** Opacity of label fill, 0..1 (default 0.35). */
  alpha?: number;
  /** Draw the label outlines (default true). */
  outlines?: boolean;
  colours?: readonly Rgb[];
}

/** The display window: the low-th and high-th percentiles of the finite values ([0, 0] if none). */
export function percentileWindow(values: ArrayLike<number>, low = 1, high = 99): [number, number] {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  if (sorted.length === 0) return [0, 0];
  return [percentileSorted(sorted, low), percentileSorted(sorted, high)];
}

/** Greyscale picture of one slice (row-major, width = nx). */
export function renderGrey(image: ArrayLike<number>, width: number, height: number, window?: readonly [number, number]): RgbaImage {
  const [lo, hi] = window ?? percentileWindow(image);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const g = Math.max(0, Math.min(255, Math.round((image[p] - lo) * scale)));
    rgba.set([g, g, g, 255], 4 * p);
  }
  return { width, height, rgba };
}

/** The grey slice with `labels` (same size) blended in and outlined. */
export function renderOverlay(image: ArrayLike<number>, labels: ArrayLike<number> | undefined, width: number, height: number, options: OverlayOptions = {}): RgbaImage {
  const pic = renderGrey(image, width, height, options.window);
  if (!labels) return pic;
  const alpha = options.alpha ?? 0.35;
  const colours = options.colours ?? LABEL_COLOURS;
  const colourOf = (l: number): Rgb => colours[l < colours.length ? l : 1 + ((l - 1) % (colours.length - 1))];
  for (let p = 0; p < width * height; p++) {
    const l = labels[p];
    if (!l || l === UNANNOTATED) continue;
    const c = colourOf(l);
    const a = options.outlines !== false && isEdge(labels, p, width, height) ? 1 : alpha;
    for (let ch = 0; ch < 3; ch++) pic.rgba[4 * p + ch] = Math.round(pic.rgba[4 * p + ch] * (1 - a) + c[ch] * a);
  }
  return pic;
}

/** A labelled pixel with a 4-neighbour of another label (or the border) is on the outline. */
function isEdge(labels: ArrayLike<number>, p: number, width: number, height: number): boolean {
  const x = p % width, y = (p - x) / width, l = labels[p];
  return x === 0 || y === 0 || x === width - 1 || y === height - 1 ||
    labels[p - 1] !== l || labels[p + 1] !== l || labels[p - width] !== l || labels[p + width] !== l;
}

/** Tiles pictures left to right, top to bottom, `columns` per row, on black with a 2-pixel gap. */
export function mosaic(tiles: readonly RgbaImage[], columns = Math.ceil(Math.sqrt(tiles.length)), gap = 2): RgbaImage {
  if (tiles.length === 0) return { width: 1, height: 1, rgba: new Uint8Array([0, 0, 0, 255]) };
  const cw = tiles.reduce((m, t) => Math.max(m, t.width), 0), ch = tiles.reduce((m, t) => Math.max(m, t.height), 0);
  const cols = Math.min(columns, tiles.length), rows = Math.ceil(tiles.length / cols);
  const width = cols * cw + (cols - 1) * gap, height = rows * ch + (rows - 1) * gap;
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 3; p < rgba.length; p += 4) rgba[p] = 255;
  tiles.forEach((t, i) => {
    const ox = (i % cols) * (cw + gap), oy = Math.floor(i / cols) * (ch + gap);
    for (let y = 0; y < t.height; y++) rgba.set(t.rgba.subarray(y * t.width * 4, (y + 1) * t.width * 4), ((oy + y) * width + ox) * 4);
  });
  return { width, height, rgba };
}
