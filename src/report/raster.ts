// src/report/raster.ts — a minimal RGBA canvas: filled rectangles, thick lines, bitmap text,
// and PNG encoding with pngjs. Enough for charts; no anti-aliasing.
import { PNG } from "pngjs";
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from "./font.js";

export type Rgb = readonly [number, number, number];

export function parseHexColor(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`bad colour ${hex}`);
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    if (!(width >= 1 && height >= 1 && width * height <= 64e6)) throw new Error(`bad canvas size ${width}x${height}`);
    this.width = Math.round(width);
    this.height = Math.round(height);
    this.rgba = new Uint8Array(this.width * this.height * 4);
    this.fillRect(0, 0, this.width, this.height, background);
  }

  setPixel(x: number, y: number, c: Rgb): void {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.rgba[o] = c[0]; this.rgba[o + 1] = c[1]; this.rgba[o + 2] = c[2]; this.rgba[o + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let yy = Math.round(y); yy < Math.round(y + h); yy++) for (let xx = Math.round(x); xx < Math.round(x + w); xx++) this.setPixel(xx, yy, c);
  }

  /** A line `thickness` pixels wide (square pen), by stepping along the longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    // Only the part inside the canvas is stepped: a far-away end point costs nothing.
    const clipped = clipSegment(x0, y0, x1, y1, -thickness - 1, -thickness - 1, this.width + thickness + 1, this.height + thickness + 1);
    if (!clipped) return;
    [x0, y0, x1, y1] = clipped;
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps, y = y0 + ((y1 - y0) * s) / steps;
      if (thickness <= 1) this.setPixel(x, y, c);
      else this.fillRect(x - half, y - half, thickness, thickness, c);
    }
  }

  /** Text with its top-left corner at (x, y); `scale` multiplies the 5x7 font. */
  text(x: number, y: number, s: string, c: Rgb, scale = 1): void {
    [...s].forEach((ch, n) => {
      const rows = glyphRows(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (rows[r] & (1 << (GLYPH_WIDTH - 1 - col))) this.fillRect(x + (n * GLYPH_ADVANCE + col) * scale, y + r * scale, scale, scale, c);
        }
      }
    });
  }

  /** Copies another canvas in with its top-left corner at (x, y). */
  blit(src: Canvas, x: number, y: number): void {
    for (let yy = 0; yy < src.height; yy++) {
      const ty = yy + y;
      if (ty < 0 || ty >= this.height) continue;
      for (let xx = 0; xx < src.width; xx++) {
        const tx = xx + x;
        if (tx < 0 || tx >= this.width) continue;
        const s = (yy * src.width + xx) * 4, t = (ty * this.width + tx) * 4;
        this.rgba.set(src.rgba.subarray(s, s + 4), t);
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.rgba.buffer, this.rgba.byteOffset, this.rgba.byteLength);
    return PNG.sync.write(png);
  }
}

/** Liang-Barsky: the part of a segment inside [xmin, xmax] x [ymin, ymax], or null (also for non-finite ends). */
function clipSegment(x0: number, y0: number, x1: number, y1: number, xmin: number, ymin: number, xmax: number, ymax: number): [number, number, number, number] | null {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return null;
  const dx = x1 - x0, dy = y1 - y0;
  let t0 = 0, t1 = 1;
  for (const [p, q] of [[-dx, x0 - xmin], [dx, xmax - x0], [-dy, y0 - ymin], [dy, ymax - y0]]) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return null;
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

export function textWidth(s: string, scale = 1): number {
  return s.length * GLYPH_ADVANCE * scale;
}
