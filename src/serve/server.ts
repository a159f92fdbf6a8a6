// src/serve/server.ts — `cardioseg serve`'s HTTP(S) server on fastify: security first (token,
// Host and Origin checks, headers), a privacy-safe request log, the page (dist/web, built by
// bundle.ts), the study routes and the Runs routes. startServer() returns once it listens.
import type { AddressInfo } from "node:net";
import fastify, { type FastifyError, type FastifyInstance } from "fastify";
import fastifyMultipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import { ACDC_CLASSES } from "../eval/score.js";
import { registerRunRoutes } from "./api-runs.js";
import { ClientError, registerStudyRoutes } from "./api-studies.js";
import { browserEngineProblem, registerModelRoutes } from "./api-model.js";
import { ensureWebBundle } from "./bundle.js";
import { DataFolder } from "./dataset.js";
import { loadServerEngine, type ServerEngine } from "./engine.js";
import { errorKind, installRequestLog, type LogLine } from "./log.js";
import { isLoopbackHost, type ServeOptions } from "./options.js";
import { RunsFolder } from "./runs.js";
import { SegmentQueue } from "./segment-jobs.js";
import { installSecurity } from "./security.js";
import { StudyStore } from "./studies.js";

export interface RunningServer {
  app: FastifyInstance;
  /** The address to open, with ?token= when a token guards the server. */
  url: string;
  /** The address without the token. */
  origin: string;
  engine?: ServerEngine;
  store: StudyStore;
  close(): Promise<void>;
}

/** What GET /api/info answers. */
export interface ServerInfo {
  version: string;
  model: { source: string; classNames: readonly string[]; spacing: number } | null;
  classNames: readonly string[];
  data: boolean;
  /** server: Segment runs on the server; browser: null when the page may run the model itself, else why not. */
  engines: { server: boolean; browser: string | null };
  limits: { maxUploadMb: number; maxFiles: number; studyTtlMin: number };
}

export async function startServer(o: ServeOptions, log: LogLine = (l) => process.stderr.write(`${l}\n`)): Promise<RunningServer> {
  const bundle = await ensureWebBundle();
  if (bundle.rebuilt) log(`page bundle built in ${bundle.dir}`);
  const engine = o.model ? await loadServerEngine(o.model, { threads: o.threads || undefined }) : undefined;
  const store = new StudyStore(o.limits);
  const app = fastify({
    logger: false, bodyLimit: 64 * 2 ** 20,
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  try {
    installSecurity(app, { token: o.token, loopback: isLoopbackHost(o.host), https: o.tls !== undefined });
    installRequestLog(app, log);
    app.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err instanceof ClientError || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) ? err.statusCode ?? 400 : 500;
      if (status >= 500) log(`error on ${req.method} ${req.routeOptions.url ?? "(no route)"}: ${errorKind(err)}`);
      reply.code(status).send({ error: status >= 500 ? "internal error (see the server log)" : err.message });
    });
    app.setNotFoundHandler((_req, reply) => { reply.code(404).send({ error: "not found" }); });
    app.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: 512 * 2 ** 20 }, (_req, body, done) => done(null, body));
    await app.register(fastifyMultipart, {
      limits: { fileSize: o.limits.maxUploadBytes, files: o.limits.maxFiles, fields: 16, fieldSize: 4096, parts: o.limits.maxFiles + 16 },
    });
    await app.register(fastifyStatic, { root: bundle.dir, prefix: "/", index: ["index.html"], dotfiles: "deny", cacheControl: false });
    const classNames = engine?.info.classNames ?? ACDC_CLASSES;
    registerStudyRoutes(app, {
      store, limits: o.limits, engine, queue: engine ? new SegmentQueue(engine) : undefined,
      data: o.data ? new DataFolder(o.data) : undefined, classNames,
    });
    registerRunRoutes(app, new RunsFolder(o.runs));
    registerModelRoutes(app, o.model, log);
    const browser = browserEngineProblem(o.model);
    app.get("/api/info", async (): Promise<ServerInfo> => ({
      version: "0.1.0",
      model: engine ? { source: engine.info.source, classNames: engine.info.classNames, spacing: engine.info.spacing } : null,
      classNames, data: o.data !== undefined,
      engines: { server: engine !== undefined, browser },
      limits: { maxUploadMb: o.limits.maxUploadBytes / 2 ** 20, maxFiles: o.limits.maxFiles, studyTtlMin: o.limits.studyTtlMs / 60_000 },
    }));
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    store.dispose();
    engine?.dispose();
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const origin = `${o.tls ? "https" : "http"}://${host}:${addr.port}`;
  return {
    app, origin, url: o.token ? `${origin}/?token=${encodeURIComponent(o.token)}` : `${origin}/`, engine, store,
    async close() {
      await app.close();
      store.dispose();
      engine?.dispose();
    },
  };
}
