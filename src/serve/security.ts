// src/serve/security.ts — who may talk to the server and what the browser may do with its pages:
// the token (Authorization: Bearer, or the HttpOnly cookie set when the printed ?token= URL is
// opened; compared in constant time), the Host check that stops DNS-rebinding pages from reaching
// a loopback server, the Origin check on state-changing requests, and the response headers (CSP,
// cross-origin isolation for multi-threaded WebAssembly, no caching of patient data).
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isLoopbackHost } from "./options.js";

export const TOKEN_COOKIE = "cardioseg_token";

/** The page's policy: scripts and WebAssembly from this origin only; no inline script. */
export const PAGE_CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:", "connect-src 'self' data: blob:", "worker-src 'self' blob:", "object-src 'none'",
  "base-uri 'none'", "frame-ancestors 'self'", "form-action 'self'",
].join("; ");

/** report.html is self-contained (inline style, a small inline sort script, data: images). */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function bearer(req: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return m?.[1];
}

function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return "";
  const m = /^\[([^\]]+)\]/.exec(hostHeader);
  return m ? m[1] : hostHeader.replace(/:\d+$/, "");
}

export interface SecurityOptions {
  token?: string;
  /** The server is bound to a loopback address only. */
  loopback: boolean;
  https: boolean;
}

/** Installs the checks (first hook of every request) and the headers (every response). */
export function installSecurity(app: FastifyInstance, o: SecurityOptions): void {
  app.addHook("onRequest", async (req, reply) => {
    // A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its
    // own name as Host: a loopback server answers only to loopback names.
    if (o.loopback && !isLoopbackHost(hostnameOf(req.headers.host))) {
      return deny(reply, 403, "this server answers only to localhost / 127.0.0.1 addresses");
    }
    const unsafe = !["GET", "HEAD", "OPTIONS"].includes(req.method);
    const origin = req.headers.origin;
    if (unsafe && origin !== undefined && origin !== "null") {
      let originHost = "";
      try { originHost = new URL(origin).host; } catch { /* unparsable: refused below */ }
      if (originHost !== req.headers.host) return deny(reply, 403, "cross-origin request refused");
    }
    if (!o.token) return;
    const fromQuery = (req.query as Record<string, unknown> | undefined)?.token;
    if (req.method === "GET" && typeof fromQuery === "string") {
      if (!tokenMatches(fromQuery, o.token)) return deny(reply, 401, "wrong token");
      // Trade the token in the address bar for a cookie, then drop it from the URL (and history).
      const url = new URL(req.url, "http://x");
      url.searchParams.delete("token");
      const secure = o.https ? "; Secure" : "";
      reply.header("set-cookie", `${TOKEN_COOKIE}=${encodeURIComponent(o.token)}; HttpOnly; SameSite=Strict; Path=/${secure}`);
      return reply.redirect(url.pathname + url.search, 303);
    }
    if (tokenMatches(bearer(req), o.token) || tokenMatches(cookieValue(req.headers.cookie, TOKEN_COOKIE), o.token)) return;
    return deny(reply, 401, "this server needs its token: open the address it printed at start (…/?token=…) or send Authorization: Bearer <token>");
  });

  app.addHook("onSend", async (req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-embedder-policy", "require-corp");
    reply.header("cross-origin-resource-policy", "same-origin");
    if (!reply.hasHeader("content-security-policy")) reply.header("content-security-policy", PAGE_CSP);
    if (req.url.startsWith("/api/")) reply.header("cache-control", "no-store");
    return payload;
  });
}

function deny(reply: FastifyReply, status: 401 | 403, message: string): FastifyReply {
  return reply.code(status).type("application/json").send({ error: message });
}
