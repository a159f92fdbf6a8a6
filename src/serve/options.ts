// src/serve/options.ts — what `cardioseg serve` is started with, checked once: where it listens,
// whether a token guards it (always beyond loopback), the upload limits, and the folders it may
// read (--data, --runs). No other module decides these.
import { shippedModelPath } from "../train/model-path.js";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";

export interface ServeOptions {
  /** Run folder or weights file; undefined: the viewer and Runs pages work, Segment answers 503. */
  model?: string;
  /** A data set folder (ACDC, Sunnybrook, generic) whose cases the page can open. */
  data?: string;
  /** Folder of training runs for the Runs page. */
  runs: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required on every request when set; generated when the host is not loopback and none is given. */
  token?: string;
  tls?: { cert: Buffer; key: Buffer };
  limits: UploadLimits;
  /** Inference threads (libtorch); 0 keeps libtorch's default. */
  threads: number;
}

export interface UploadLimits {
  /** Largest total size of one upload, bytes. */
  maxUploadBytes: number;
  /** Most files in one upload (a DICOM series is one file per image). */
  maxFiles: number;
  /** An open study not touched for this long is deleted, ms. */
  studyTtlMs: number;
  /** Most studies held at once (oldest are dropped first). */
  maxStudies: number;
}

export const DEFAULT_LIMITS: UploadLimits = { maxUploadBytes: 1024 * 2 ** 20, maxFiles: 5000, studyTtlMs: 30 * 60_000, maxStudies: 8 };

export interface ServeFlags {
  model?: string;
  data?: string;
  runs?: string;
  host?: string;
  port?: string | number;
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  maxUploadMb?: string | number;
  maxFiles?: string | number;
  studyTtlMin?: string | number;
  threads?: string | number;
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1].startsWith("127.");
}

export function generateToken(): string {
  return randomBytes(24).toString("base64url");
}

function positive(value: string | number | undefined, flag: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) throw new Error(`${flag} must be a positive ${integer ? "integer" : "number"}, got "${value}"`);
  return v;
}

function folder(path: string, flag: string): string {
  const p = resolve(path);
  if (!existsSync(p) || !statSync(p).isDirectory()) throw new Error(`${flag} ${path}: no such folder`);
  return realpathSync(p);
}

/** Checks the flags and fills in defaults; throws an Error naming the bad flag. */
export function resolveServeOptions(f: ServeFlags): ServeOptions {
  const host = f.host ?? "127.0.0.1";
  const port = f.port === undefined ? 8080 : Number(f.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${f.port}"`);
  if (f.token !== undefined && f.token.length < 8) throw new Error("--token must be at least 8 characters");
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
  const tls = f.tlsCert && f.tlsKey ? { cert: readFileSync(f.tlsCert), key: readFileSync(f.tlsKey) } : undefined;
  const token = f.token ?? (isLoopbackHost(host) ? undefined : generateToken());
  const limits: UploadLimits = {
    maxUploadBytes: Math.round(positive(f.maxUploadMb, "--max-upload-mb", DEFAULT_LIMITS.maxUploadBytes / 2 ** 20) * 2 ** 20),
    maxFiles: positive(f.maxFiles, "--max-files", DEFAULT_LIMITS.maxFiles, true),
    studyTtlMs: Math.round(positive(f.studyTtlMin, "--study-ttl-min", DEFAULT_LIMITS.studyTtlMs / 60_000) * 60_000),
    maxStudies: DEFAULT_LIMITS.maxStudies,
  };
  const threads = f.threads === undefined ? 0 : positive(f.threads, "--threads", 1, true);
  const runs = f.runs === undefined ? resolve("runs") : f.runs;
  return {
    // No --model: the shipped model when this installation has one (src/train/model-path.ts); else none.
    model: f.model ?? (existsSync(shippedModelPath()) ? shippedModelPath() : undefined), data: f.data === undefined ? undefined : folder(f.data, "--data"),
    // runs/ need not exist yet (a first training run creates it); an explicit --runs must.
    runs: f.runs === undefined && !existsSync(runs) ? runs : folder(runs, "--runs"),
    host, port, token, tls, limits, threads,
  };
}
