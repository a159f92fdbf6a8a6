// src/serve/log.ts — the server's log: one line per request with the method, the route's
// pattern (never the URL as sent, which may carry a study or file name), the status and the time;
// errors by their kind only. Patient names and ids come only from files and data-set listings,
// and neither ever reaches this log.
import type { FastifyInstance } from "fastify";

export type LogLine = (line: string) => void;

export function installRequestLog(app: FastifyInstance, log: LogLine): void {
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "(no route)";
    log(`${req.method} ${route} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)} ms`);
  });
}

/** What may be said of an error: its class and HTTP status, not its message. */
export function errorKind(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? `${err.name} ${code}` : err.name;
  }
  return typeof err;
}
