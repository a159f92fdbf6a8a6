// src/serve/segment-jobs.ts — running Segment for a page: one job at a time on the engine (later
// ones wait their turn), each streaming NDJSON events as slices finish, storing every frame's
// labels in the study, and stopping between slices when the page goes away.
import { PassThrough } from "node:stream";
import { CancelledError, type ServerEngine } from "./engine.js";
import type { Study } from "./studies.js";

/** One line of the Segment response (application/x-ndjson). */
export type SegmentEvent =
  | { type: "queued"; ahead: number }
  | { type: "start"; frames: number[]; slices: number }
  | { type: "slice"; frame: number; slice: number; slices: number; labels: string }
  | { type: "frame"; frame: number; seconds: number }
  | { type: "done"; seconds: number }
  | { type: "error"; message: string };

export class SegmentQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly engine: ServerEngine) {}

  /**
   * Starts (or queues) segmenting `frames` of `study`; returns the event stream at once. The job
   * ends early when `isGone()` turns true (the page closed the connection).
   */
  run(study: Study, frames: readonly number[], isGone: () => boolean): PassThrough {
    const out = new PassThrough();
    const send = (e: SegmentEvent): void => { if (!out.destroyed) out.write(`${JSON.stringify(e)}\n`); };
    if (this.waiting > 0) send({ type: "queued", ahead: this.waiting });
    this.waiting++;
    this.tail = this.tail.then(async () => {
      this.waiting--;
      const started = performance.now();
      try {
        const slices = study.frames[0].dims[2] ?? 1;
        send({ type: "start", frames: [...frames], slices });
        for (const t of frames) {
          const t0 = performance.now();
          const labels = await this.engine.segmentFrame(study.frames[t], (k, nz, l) => {
            send({ type: "slice", frame: t, slice: k, slices: nz, labels: Buffer.from(l.buffer, l.byteOffset, l.byteLength).toString("base64") });
          }, isGone);
          study.labels[t] = labels.data;
          send({ type: "frame", frame: t, seconds: (performance.now() - t0) / 1000 });
        }
        send({ type: "done", seconds: (performance.now() - started) / 1000 });
      } catch (err) {
        if (!(err instanceof CancelledError)) send({ type: "error", message: err instanceof Error ? err.message : String(err) });
      } finally {
        out.end();
      }
    });
    return out;
  }
}
