// src/serve/paths.ts — the only place a path from a request meets the file system: it is resolved
// under a root (--data or --runs) and refused unless the real file, after every symbolic link,
// still lies inside that root's real path. Callers answer 403 for `outside`, 404 for `missing`.
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";

export type Contained =
  | { ok: true; path: string }
  | { ok: false; reason: "outside" | "missing" };

/** True when `child` is `root` itself or lies below it (both already absolute and normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Resolves the request path `rel` under `root`. Absolute paths, NUL bytes, backslashes and any
 * path that leaves the root (by "..", or by a symbolic link anywhere along it) are `outside`.
 */
export function resolveInside(root: string, rel: string, want: "file" | "dir" = "file"): Contained {
  if (rel.includes("\0") || rel.includes("\\") || isAbsolute(rel)) return { ok: false, reason: "outside" };
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { ok: false, reason: "missing" };
  }
  const lexical = resolve(realRoot, rel);
  if (!isInside(realRoot, lexical)) return { ok: false, reason: "outside" };
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    return { ok: false, reason: "missing" };
  }
  if (!isInside(realRoot, real)) return { ok: false, reason: "outside" };
  const st = statSync(real, { throwIfNoEntry: false });
  if (!st || (want === "file" ? !st.isFile() : !st.isDirectory())) return { ok: false, reason: "missing" };
  return { ok: true, path: real };
}
