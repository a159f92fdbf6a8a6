// src/serve/api-studies.ts — the study routes: open (upload, or cases of --data), the image for
// the viewer, ground truth and label maps as raw bytes, Segment (streamed), saving corrected
// labels, downloads and closing. Route shapes are documented in README ("Web app").
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { voxelCount } from "../io/image.js";
import type { DataFolder } from "./dataset.js";
import { contoursZip, dicomSeg, labelNifti, type Download } from "./downloads.js";
import type { ServerEngine } from "./engine.js";
import type { UploadLimits } from "./options.js";
import type { SegmentQueue } from "./segment-jobs.js";
import { studyInfo, viewerNifti, type Study, type StudyStore } from "./studies.js";
import { safeFileName, scrubPaths, studyFromUpload, type UploadedFile } from "./uploads.js";

export { safeFileName, scrubPaths } from "./uploads.js";

export interface StudyRoutesDeps {
  store: StudyStore;
  limits: UploadLimits;
  engine?: ServerEngine;
  queue?: SegmentQueue;
  data?: DataFolder;
  /** Class names for label checks when no model is loaded. */
  classNames: readonly string[];
}

/** An error the client caused, answered with its status and message. */
export class ClientError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = "ClientError";
  }
}

function byteCounter(limit: { left: number }, maxBytes: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      limit.left -= chunk.length;
      if (limit.left < 0) done(new ClientError(413, `the upload is larger than the ${Math.round(maxBytes / 2 ** 20)} MB limit (--max-upload-mb)`));
      else done(null, chunk);
    },
  });
}

export function registerStudyRoutes(app: FastifyInstance, d: StudyRoutesDeps): void {
  const { store } = d;
  const studyOf = (req: FastifyRequest): Study => {
    const s = store.get((req.params as { id: string }).id);
    if (!s) throw new ClientError(404, "no such study (it was closed, or expired after sitting unused)");
    return s;
  };
  const frameOf = (s: Study, raw: unknown): number => {
    const t = Number(raw);
    if (!Number.isInteger(t) || t < 0 || t >= s.frames.length) throw new ClientError(404, `no frame ${String(raw)} in this study`);
    return t;
  };

  app.post("/api/studies", async (req) => {
    if (!req.isMultipart()) throw new ClientError(415, "upload the files as multipart/form-data");
    const dir = store.newUploadDir();
    const files: UploadedFile[] = [];
    const budget = { left: d.limits.maxUploadBytes };
    let name = "";
    try {
      for await (const part of req.parts()) {
        if (part.type === "field") {
          if (part.fieldname === "name") name = String(part.value).slice(0, 120);
          continue;
        }
        if (files.length >= d.limits.maxFiles) throw new ClientError(413, `more than ${d.limits.maxFiles} files in one upload (--max-files)`);
        const sub = join(dir, String(files.length).padStart(5, "0"));
        mkdirSync(sub, { mode: 0o700 });
        const file = { name: safeFileName(part.filename), path: "" };
        file.path = join(sub, file.name);
        await pipeline(part.file, byteCounter(budget, d.limits.maxUploadBytes), createWriteStream(file.path, { mode: 0o600 }));
        if (part.file.truncated) throw new ClientError(413, `${file.name} is larger than the ${Math.round(d.limits.maxUploadBytes / 2 ** 20)} MB limit (--max-upload-mb)`);
        files.push(file);
      }
      const study = store.add(studyFromUpload(files, name), dir);
      return studyInfo(study);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw uploadError(err, dir, d.limits);
    }
  });

  app.get("/api/data", async () => {
    if (!d.data) throw new ClientError(404, "the server was started without --data");
    return d.data.listing();
  });

  app.post("/api/data/open", async (req) => {
    if (!d.data) throw new ClientError(404, "the server was started without --data");
    const body = req.body as { cases?: unknown } | undefined;
    const cases = Array.isArray(body?.cases) ? body.cases.map(Number) : [];
    try {
      return studyInfo(store.add(d.data.open(cases)));
    } catch (err) {
      throw new ClientError(400, err instanceof Error ? err.message : String(err));
    }
  });

  app.get("/api/studies/:id", async (req) => studyInfo(studyOf(req)));

  app.get("/api/studies/:id/image.nii", async (req, reply) => {
    return reply.type("application/octet-stream").send(Buffer.from(viewerNifti(studyOf(req)).buffer));
  });

  app.get("/api/studies/:id/truth/:frame", async (req, reply) => {
    const s = studyOf(req);
    const t = s.truth[frameOf(s, (req.params as { frame: string }).frame)];
    if (!t) throw new ClientError(404, "this frame has no ground truth");
    return reply.type("application/octet-stream").send(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });

  app.get("/api/studies/:id/labels/:frame", async (req, reply) => {
    const s = studyOf(req);
    const l = s.labels[frameOf(s, (req.params as { frame: string }).frame)];
    if (!l) throw new ClientError(404, "this frame is not segmented yet");
    return reply.type("application/octet-stream").send(Buffer.from(l.buffer, l.byteOffset, l.byteLength));
  });

  app.put("/api/studies/:id/labels/:frame", async (req) => {
    const s = studyOf(req);
    const t = frameOf(s, (req.params as { frame: string }).frame);
    const body = req.body;
    const n = voxelCount(s.frames[t].dims.slice(0, 3));
    if (!Buffer.isBuffer(body) || body.length !== n) throw new ClientError(400, `labels must be ${n} bytes (one per voxel), got ${Buffer.isBuffer(body) ? body.length : "none"}`);
    const max = d.classNames.length - 1;
    for (let i = 0; i < body.length; i++) if (body[i] > max) throw new ClientError(400, `label ${body[i]} at voxel ${i} is not a class (0..${max})`);
    s.labels[t] = new Uint8Array(body);
    return { saved: true, frame: t };
  });

  app.post("/api/studies/:id/segment", async (req, reply) => {
    const s = studyOf(req);
    if (!d.engine || !d.queue) throw new ClientError(503, "no model loaded: start the server with --model RUN_OR_WEIGHTS");
    const asked = (req.body as { frames?: unknown } | undefined)?.frames;
    const frames = Array.isArray(asked) ? asked.map((f) => frameOf(s, f)) : s.frames.map((_, t) => t);
    if (frames.length === 0) throw new ClientError(400, "no frames to segment");
    let finished = false;
    reply.raw.on("close", () => { finished = true; });
    const stream = d.queue.run(s, [...new Set(frames)], () => finished);
    stream.on("end", () => { finished = true; });
    return reply.type("application/x-ndjson").send(stream);
  });

  const download = (fn: (s: Study, frame: number | undefined) => Download) => async (req: FastifyRequest, reply: FastifyReply) => {
    const s = studyOf(req);
    const raw = (req.query as { frame?: string }).frame;
    let out: Download;
    try {
      out = fn(s, raw === undefined || raw === "" ? undefined : frameOf(s, raw));
    } catch (err) {
      if (err instanceof ClientError) throw err;
      throw new ClientError(409, err instanceof Error ? err.message : String(err));
    }
    return reply.type(out.type).header("content-disposition", `attachment; filename="${out.filename}"`).send(Buffer.from(out.body));
  };
  app.get("/api/studies/:id/download/labels.nii.gz", download((s, f) => labelNifti(s, f)));
  app.get("/api/studies/:id/download/seg", download((s, f) => dicomSeg(s, d.engine?.info.classNames ?? d.classNames, f)));
  app.get("/api/studies/:id/download/contours.zip", download((s, f) => contoursZip(s, f)));

  const close = async (req: FastifyRequest): Promise<{ closed: boolean }> => ({ closed: store.close((req.params as { id: string }).id) });
  app.delete("/api/studies/:id", close);
  // navigator.sendBeacon (the page closing) can only POST.
  app.post("/api/studies/:id/close", close);
}

function uploadError(err: unknown, dir: string, limits: UploadLimits): ClientError {
  if (err instanceof ClientError) return err;
  const code = (err as { code?: string }).code;
  if (code === "FST_FILES_LIMIT" || code === "FST_PARTS_LIMIT") return new ClientError(413, `more than ${limits.maxFiles} files in one upload (--max-files)`);
  if (code === "FST_REQ_FILE_TOO_LARGE") return new ClientError(413, `a file is larger than the ${Math.round(limits.maxUploadBytes / 2 ** 20)} MB limit (--max-upload-mb)`);
  const message = err instanceof Error ? err.message : String(err);
  return new ClientError(400, `cannot open the upload: ${scrubPaths(message, dir)}`);
}
