// resample.ts owns 2D in-plane resampling between spacings. Convention (as torch's interpolate
// with align_corners=False and scipy's grid_mode=True): pixels are squares, the image edges
// line up, and output pixel centre u sits at source coordinate (u + 0.5) * scale - 0.5 with
// scale = outSpacing / inSpacing. Bilinear clamps at the border (edge values replicate);
// nearest takes the source pixel whose square contains the output centre.

/** Pixels along an axis after resampling from `inSpacing` to `outSpacing` (at least 1). */
export function resampledSize(n: number, inSpacing: number, outSpacing: number): number {
  return Math.max(1, Math.round((n * inSpacing) / outSpacing));
}

// A hair above zero so that centres landing exactly on a pixel edge (2x down-sampling) pick the
// same side whatever the rounding of the product.
const EDGE_EPS = 1e-6;

/** Per-output-index source index for nearest sampling. */
function nearestIndex(outN: number, inN: number, scale: number): Int32Array {
  const idx = new Int32Array(outN);
  for (let u = 0; u < outN; u++) {
    const s = Math.floor((u + 0.5) * scale + EDGE_EPS);
    idx[u] = s < 0 ? 0 : s >= inN ? inN - 1 : s;
  }
  return idx;
}

interface LinearTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly f: Float32Array;
}

/** Per-output-index neighbours and weight for linear sampling, clamped at the border. */
function linearTaps(outN: number, inN: number, scale: number): LinearTaps {
  const i0 = new Int32Array(outN), i1 = new Int32Array(outN), f = new Float32Array(outN);
  for (let u = 0; u < outN; u++) {
    let s = (u + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    if (s > inN - 1) s = inN - 1;
    const a = Math.floor(s);
    i0[u] = a;
    i1[u] = Math.min(a + 1, inN - 1);
    f[u] = s - a;
  }
  return { i0, i1, f };
}

/**
 * Bilinear resampling of `channels` planes of w x h (plane-major) to outW x outH.
 * scaleX/scaleY = outSpacing / inSpacing along each axis.
 */
export function resampleBilinear(
  src: Float32Array, w: number, h: number, outW: number, outH: number,
  scaleX: number, scaleY: number, channels = 1,
): Float32Array {
  if (src.length !== w * h * channels) throw new Error(`resampleBilinear: ${src.length} values for ${channels}x${h}x${w}`);
  const tx = linearTaps(outW, w, scaleX), ty = linearTaps(outH, h, scaleY);
  const out = new Float32Array(outW * outH * channels);
  for (let c = 0; c < channels; c++) {
    const base = c * w * h, obase = c * outW * outH;
    for (let v = 0; v < outH; v++) {
      const r0 = base + ty.i0[v] * w, r1 = base + ty.i1[v] * w, fy = ty.f[v];
      const orow = obase + v * outW;
      for (let u = 0; u < outW; u++) {
        const a = tx.i0[u], b = tx.i1[u], fx = tx.f[u];
        const top = src[r0 + a] + fx * (src[r0 + b] - src[r0 + a]);
        const bot = src[r1 + a] + fx * (src[r1 + b] - src[r1 + a]);
        out[orow + u] = top + fy * (bot - top);
      }
    }
  }
  return out;
}

/** Nearest-neighbour resampling of a label map (see the convention at the top). */
export function resampleNearest(
  src: Uint8Array, w: number, h: number, outW: number, outH: number, scaleX: number, scaleY: number,
): Uint8Array {
  if (src.length !== w * h) throw new Error(`resampleNearest: ${src.length} values for ${h}x${w}`);
  const ix = nearestIndex(outW, w, scaleX), iy = nearestIndex(outH, h, scaleY);
  const out = new Uint8Array(outW * outH);
  for (let v = 0; v < outH; v++) {
    const row = iy[v] * w, orow = v * outW;
    for (let u = 0; u < outW; u++) out[orow + u] = src[row + ix[u]];
  }
  return out;
}
