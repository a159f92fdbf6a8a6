// web/src/shims/fs.ts — node:fs for the page's bundle: an in-memory file tree holding the files a
// user opened in the browser, so that cardioseg's own readers and writers (src/serve/uploads.ts,
// src/serve/downloads.ts and the src/io code under them) run unchanged on files that never leave
// the machine. esbuild maps node:fs here (src/serve/bundle.ts). Only the synchronous calls that code
// makes exist; anything else throws. Hand-written because memfs, the library for this, needs
// Buffer/process/events/stream polyfills and a dozen packages for what is here about 150 lines.
import { Buffer } from "buffer";

const files = new Map<string, Uint8Array>();
const folders = new Set<string>(["/"]);
const open = new Map<number, { path: string; chunks: Uint8Array[]; writing: boolean }>();
let nextFd = 3;

function normal(path: string): string {
  const parts: string[] = [];
  for (const p of String(path).split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

function parent(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

function fsError(code: string, what: string, syscall: string, path: string): Error {
  const err = new Error(`${code}: ${what}, ${syscall} '${path}'`) as Error & { code: string; path: string; syscall: string };
  err.code = code;
  err.path = path;
  err.syscall = syscall;
  return err;
}

function missing(syscall: string, path: string): Error {
  return fsError("ENOENT", "no such file or directory", syscall, path);
}

/** Puts a file into the tree (its folders are created); the page's way in. */
export function mountFile(path: string, bytes: Uint8Array): void {
  const p = normal(path);
  mkdirSync(parent(p), { recursive: true });
  files.set(p, bytes);
}

/** Removes a folder and everything under it (a closed study). */
export function unmount(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

interface Stats {
  size: number;
  mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function stats(isFile: boolean, size: number): Stats {
  return { size, mtimeMs: 0, isFile: () => isFile, isDirectory: () => !isFile, isSymbolicLink: () => false };
}

export function statSync(path: string, o?: { throwIfNoEntry?: boolean }): Stats | undefined {
  const p = normal(path);
  const file = files.get(p);
  if (file) return stats(true, file.length);
  if (folders.has(p)) return stats(false, 0);
  if (o?.throwIfNoEntry === false) return undefined;
  throw missing("stat", path);
}

export const lstatSync = statSync;

export function existsSync(path: string): boolean {
  const p = normal(path);
  return files.has(p) || folders.has(p);
}

export function realpathSync(path: string): string {
  if (!existsSync(path)) throw missing("realpath", path);
  return normal(path);
}

export function readFileSync(path: string, encoding?: string | { encoding?: string }): Buffer | string {
  const p = normal(path);
  const bytes = files.get(p);
  if (!bytes) throw folders.has(p) ? fsError("EISDIR", "illegal operation on a directory", "read", path) : missing("open", path);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const enc = typeof encoding === "string" ? encoding : encoding?.encoding;
  return enc ? buffer.toString(enc as BufferEncoding) : buffer;
}

interface Dirent { name: string; isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }

export function readdirSync(path: string, o?: { withFileTypes?: boolean }): (string | Dirent)[] {
  const p = normal(path);
  if (!folders.has(p)) throw missing("scandir", path);
  const prefix = p === "/" ? "/" : `${p}/`;
  const children = new Map<string, boolean>();
  for (const f of files.keys()) if (f.startsWith(prefix) && !f.slice(prefix.length).includes("/")) children.set(f.slice(prefix.length), true);
  for (const d of folders) if (d !== p && d.startsWith(prefix) && !d.slice(prefix.length).includes("/")) children.set(d.slice(prefix.length), false);
  const names = [...children.keys()].sort();
  if (!o?.withFileTypes) return names;
  return names.map((name) => ({ name, ...stats(children.get(name)!, 0) }));
}

export function mkdirSync(path: string, o?: { recursive?: boolean; mode?: number }): string | undefined {
  const p = normal(path);
  if (folders.has(p)) {
    if (o?.recursive) return undefined;
    throw fsError("EEXIST", "file already exists", "mkdir", path);
  }
  if (files.has(p)) throw fsError("EEXIST", "file already exists", "mkdir", path);
  if (!folders.has(parent(p))) {
    if (!o?.recursive) throw missing("mkdir", path);
    mkdirSync(parent(p), o);
  }
  folders.add(p);
  return p;
}

export function mkdtempSync(prefix: string): string {
  for (;;) {
    const p = `${prefix}${Math.random().toString(36).slice(2, 8)}`;
    if (!existsSync(p)) {
      mkdirSync(p);
      return normal(p);
    }
  }
}

export function rmSync(path: string, o?: { recursive?: boolean; force?: boolean }): void {
  const p = normal(path);
  if (files.delete(p)) return;
  if (!folders.has(p)) {
    if (o?.force) return;
    throw missing("rm", path);
  }
  const prefix = `${p}/`;
  const inside = [...files.keys(), ...folders].some((x) => x.startsWith(prefix));
  if (inside && !o?.recursive) throw fsError("ENOTEMPTY", "directory not empty", "rm", path);
  for (const f of [...files.keys()]) if (f.startsWith(prefix)) files.delete(f);
  for (const d of [...folders]) if (d.startsWith(prefix)) folders.delete(d);
  if (p !== "/") folders.delete(p);
}

export function openSync(path: string, flags = "r"): number {
  const p = normal(path);
  if (flags === "r") {
    if (!existsSync(p)) throw missing("open", path);
  } else if (!folders.has(parent(p))) {
    throw missing("open", path);
  }
  const fd = nextFd++;
  open.set(fd, { path: p, chunks: [], writing: flags !== "r" });
  return fd;
}

export function writeSync(fd: number, data: Uint8Array, offset = 0, length = data.length - offset): number {
  const f = open.get(fd);
  if (!f) throw fsError("EBADF", "bad file descriptor", "write", String(fd));
  f.chunks.push(data.slice(offset, offset + length));
  return length;
}

export function fsyncSync(fd: number): void {
  if (!open.has(fd)) throw fsError("EBADF", "bad file descriptor", "fsync", String(fd));
}

export function closeSync(fd: number): void {
  const f = open.get(fd);
  if (!f) throw fsError("EBADF", "bad file descriptor", "close", String(fd));
  open.delete(fd);
  if (!f.writing) return; // opened to read (or a folder, to fsync it): nothing to store
  const out = new Uint8Array(f.chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of f.chunks) { out.set(c, at); at += c.length; }
  files.set(f.path, out);
}

export function writeFileSync(path: string, data: Uint8Array | string): void {
  const p = normal(path);
  if (!folders.has(parent(p))) throw missing("open", path);
  files.set(p, typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
}

export function renameSync(from: string, to: string): void {
  const a = normal(from), b = normal(to);
  const bytes = files.get(a);
  if (!bytes) throw missing("rename", from);
  if (folders.has(b)) throw fsError("EISDIR", "illegal operation on a directory", "rename", to);
  files.delete(a);
  files.set(b, bytes);
}

function unsupported(name: string): () => never {
  return () => { throw new Error(`fs.${name} is not available in the browser`); };
}

export const createReadStream = unsupported("createReadStream");
export const createWriteStream = unsupported("createWriteStream");
export const readSync = unsupported("readSync");
export const symlinkSync = unsupported("symlinkSync");
export const constants = { R_OK: 4, W_OK: 2, X_OK: 1, F_OK: 0 };
export function accessSync(path: string): void {
  if (!existsSync(path)) throw missing("access", path);
}

export default {
  statSync, lstatSync, existsSync, realpathSync, readFileSync, readdirSync, mkdirSync, mkdtempSync, rmSync, openSync,
  writeSync, fsyncSync, closeSync, writeFileSync, renameSync, createReadStream, createWriteStream, readSync, symlinkSync,
  accessSync, constants,
};
