// src/serve/api-model.ts — the model folder the in-browser engine loads (GET /model/manifest.json,
// network.onnx, preprocess.onnx, postprocess.onnx; src/onnx/browser-model.ts makes them). The
// network's ONNX is found beside the weights or in the cache, or exported into the cache the first
// time a page asks for it (seconds for a real model; the server says so in its log). Files carry
// an ETag (the weights' sha256) so a browser downloads a model once.
import { createReadStream, statSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BROWSER_MODEL_FILES, checkBrowserModel, prepareBrowserModel, type BrowserModel } from "../onnx/browser-model.js";
import { ClientError } from "./api-studies.js";
import type { LogLine } from "./log.js";

/** Why in-browser inference is unavailable for `model` (null: available). */
export function browserEngineProblem(model: string | undefined): string | null {
  if (!model) return "no model loaded: start the server with --model";
  try {
    checkBrowserModel(model);
    return null;
  } catch (err) {
    return `this model cannot run in the browser: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export function registerModelRoutes(app: FastifyInstance, model: string | undefined, log: LogLine): void {
  let prepared: BrowserModel | undefined;
  const ready = (): BrowserModel => {
    if (!model) throw new ClientError(404, "no model loaded: start the server with --model");
    if (!prepared) {
      const started = Date.now();
      try {
        prepared = prepareBrowserModel(model);
      } catch (err) {
        throw new ClientError(409, `this model cannot run in the browser: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (prepared.origin === "exported") log(`model exported to ONNX for in-browser inference in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return prepared;
  };
  const cached = (req: FastifyRequest, reply: FastifyReply, m: BrowserModel, file: string): boolean => {
    const etag = `"${m.manifest.sha256.slice(0, 32)}-${m.manifest.cardiosegVersion}-${file}"`;
    reply.header("etag", etag).header("cache-control", "no-cache");
    if (req.headers["if-none-match"] !== etag) return false;
    reply.code(304).send();
    return true;
  };
  app.get("/model/:file", async (req, reply) => {
    const file = (req.params as { file: string }).file;
    if (!(Object.values(BROWSER_MODEL_FILES) as string[]).includes(file)) throw new ClientError(404, "not found");
    const m = ready();
    if (cached(req, reply, m, file)) return reply;
    if (file === BROWSER_MODEL_FILES.manifest) return reply.type("application/json").send(m.manifest);
    if (file === BROWSER_MODEL_FILES.preprocess) return reply.type("application/octet-stream").send(Buffer.from(m.preprocess));
    if (file === BROWSER_MODEL_FILES.postprocess) return reply.type("application/octet-stream").send(Buffer.from(m.postprocess));
    return reply.type("application/octet-stream").header("content-length", statSync(m.networkPath).size).send(createReadStream(m.networkPath));
  });
}
