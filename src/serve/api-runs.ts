// src/serve/api-runs.ts — the Runs page's routes: the list, one run's detail, its new training-log
// lines as server-sent events (for live curves), and its files (report.html, overlay PNGs).
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import type { FastifyInstance } from "fastify";
import { ClientError } from "./api-studies.js";
import type { RunsFolder } from "./runs.js";
import { REPORT_CSP } from "./security.js";

const FILE_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".png": "image/png", ".json": "application/json", ".jsonl": "application/x-ndjson",
  ".yaml": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8",
};

/** How often a live run's metrics.jsonl is checked for new lines, ms. */
export const RUN_POLL_MS = 1000;

export function registerRunRoutes(app: FastifyInstance, runs: RunsFolder): void {
  app.get("/api/runs", async () => ({ runs: runs.list() }));

  app.get("/api/runs/:name", async (req) => {
    const detail = runs.detail((req.params as { name: string }).name);
    if (!detail) throw new ClientError(404, "no such run");
    return detail;
  });

  // Server-sent events: {"train": [...], "val": [...], "next": bytes} whenever metrics.jsonl grows.
  app.get("/api/runs/:name/events", async (req, reply) => {
    const name = (req.params as { name: string }).name;
    let from = Number((req.query as { from?: string }).from ?? 0);
    if (!Number.isFinite(from) || from < 0) from = 0;
    if (!runs.dir(name)) throw new ClientError(404, "no such run");
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive",
      "x-content-type-options": "nosniff", "cross-origin-resource-policy": "same-origin",
    });
    const tick = (): void => {
      const got = runs.logSince(name, from);
      if (!got) { res.end(); return; }
      if (got.next !== from) {
        from = got.next;
        res.write(`data: ${JSON.stringify({ train: got.log.train, val: got.log.val, next: from })}\n\n`);
      } else {
        res.write(": idle\n\n");
      }
    };
    tick();
    const timer = setInterval(tick, RUN_POLL_MS);
    res.on("close", () => clearInterval(timer));
  });

  app.get("/api/runs/:name/files/*", async (req, reply) => {
    const { name, "*": rel } = req.params as { name: string; "*": string };
    const found = runs.file(name, rel);
    if (!found.ok) throw new ClientError(found.reason === "outside" ? 403 : 404, found.reason === "outside" ? "outside the run folder" : "no such file");
    const type = FILE_TYPES[extname(found.path).toLowerCase()];
    if (!type) throw new ClientError(403, "this kind of file is not served");
    if (type.startsWith("text/html")) reply.header("content-security-policy", REPORT_CSP);
    return reply.type(type).send(createReadStream(found.path));
  });
}
