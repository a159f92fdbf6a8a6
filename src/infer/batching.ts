// batching.ts owns how the volume predictor groups slices into network calls: the network grid's
// size multiple and the automatic batch size. It imports nothing, so the page's in-browser engine
// (web/src/browser-engine.ts) batches exactly as src/infer/predictor.ts does.

/** The network grid is padded to a multiple of the largest output stride (16). */
export const NETWORK_MULTIPLE = 16;

/**
 * Network pixels per call when the batch size is automatic: 5 slices of an ACDC frame at 1.25 mm
 * (320 x 272). Larger batches were slower per slice on the CPU (batch 10: about 1.5x the CPU time
 * of batch 5 for the acdc-cpu net): their activations outgrow what malloc recycles, so each layer
 * gets fresh, page-faulting memory.
 */
export const AUTO_BATCH_PIXELS = 450_000;

/** Slices per call for a network grid of outWidth x outHeight, each run `views` times (flip TTA: 3). */
export function autoBatchSize(outWidth: number, outHeight: number, views = 1): number {
  return Math.max(1, Math.floor(AUTO_BATCH_PIXELS / (outWidth * outHeight * views)));
}

/** Flat slice ranges [from, to) of at most `size` slices, as even as possible (10 slices at 8 -> 5 + 5). */
export function batchRanges(total: number, size: number): Array<[number, number]> {
  const count = Math.ceil(total / size);
  const per = Math.ceil(total / count);
  const out: Array<[number, number]> = [];
  for (let from = 0; from < total; from += per) out.push([from, Math.min(total, from + per)]);
  return out;
}
