// src/util/walk.ts — the one recursive folder walk (DICOM folders, score's prediction and truth
// folders). It never fails on one entry: a dangling symbolic link, an unreadable sub-folder, a
// folder beyond the depth limit or a link loop is returned as a problem naming the path, and the
// walk goes on. Only regular files (or links to them) are listed: a FIFO or a device would block
// or never end when read. (fs.readdirSync's own `recursive` walk has no depth limit, follows no
// links and says nothing of what it skips, hence this one.)
import { readdirSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";

export interface WalkProblem {
  readonly path: string;
  readonly message: string;
}

export interface WalkOptions {
  /** Folder levels below `dir` that are searched (default 16). */
  readonly maxDepth?: number;
  /** Which file names to list (default all). */
  readonly accept?: (name: string) => boolean;
  /** Skip entries whose name starts with "." (default true). */
  readonly skipHidden?: boolean;
}

export interface WalkResult {
  /** Matching regular files, sorted by path (numeric-aware) within each folder. */
  readonly files: string[];
  readonly problems: WalkProblem[];
}

export const DEFAULT_WALK_DEPTH = 16;

/** Lists the files under `dir`; throws only when `dir` itself cannot be listed. */
export function walkFiles(dir: string, options: WalkOptions = {}): WalkResult {
  const maxDepth = options.maxDepth ?? DEFAULT_WALK_DEPTH;
  const accept = options.accept ?? (() => true);
  const skipHidden = options.skipHidden ?? true;
  const files: string[] = [];
  const problems: WalkProblem[] = [];
  const visited = new Set<string>();
  const top = statSync(dir, { throwIfNoEntry: false });
  if (!top) throw new Error(`${dir}: no such folder`);
  if (!top.isDirectory()) throw new Error(`${dir}: not a folder`);
  visited.add(`${top.dev}:${top.ino}`);
  // An explicit stack instead of recursion: depth is bounded anyway, and no folder shape can
  // exhaust the call stack.
  const stack: { path: string; depth: number }[] = [{ path: dir, depth: 0 }];
  while (stack.length > 0) {
    const { path, depth } = stack.pop() as { path: string; depth: number };
    let entries: Dirent[];
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (err) {
      if (path === dir) throw new Error(`${dir}: cannot list folder (${messageOf(err)})`);
      problems.push({ path, message: `${path}: cannot list folder (${messageOf(err)})` });
      continue;
    }
    const sorted = entries.filter((e) => !(skipHidden && e.name.startsWith(".")))
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    const subfolders: string[] = [];
    for (const e of sorted) {
      const p = join(path, e.name);
      const kind = entryKind(e, p, problems);
      if (kind === "file" && accept(e.name)) files.push(p);
      if (kind !== "dir") continue;
      const id = folderId(p);
      if (visited.has(id)) {
        problems.push({ path: p, message: `${p}: folder already searched (a symbolic link loop?); not searched again` });
        continue;
      }
      visited.add(id);
      if (depth + 1 > maxDepth) {
        problems.push({ path: p, message: `${p}: not searched, deeper than the ${maxDepth}-level folder limit` });
        continue;
      }
      subfolders.push(p);
    }
    // Reverse so that the stack visits sub-folders in sorted order (files of a folder come first).
    for (const s of subfolders.reverse()) stack.push({ path: s, depth: depth + 1 });
  }
  return { files, problems };
}

function entryKind(e: Dirent, p: string, problems: WalkProblem[]): "file" | "dir" | "other" {
  if (e.isFile()) return "file";
  if (e.isDirectory()) return "dir";
  if (!e.isSymbolicLink()) return "other";
  let target;
  try {
    target = statSync(p, { throwIfNoEntry: false });
  } catch (err) {
    problems.push({ path: p, message: `${p}: unusable symbolic link (${messageOf(err)}); skipped` });
    return "other";
  }
  if (!target) {
    problems.push({ path: p, message: `${p}: dangling symbolic link (its target does not exist); skipped` });
    return "other";
  }
  return target.isFile() ? "file" : target.isDirectory() ? "dir" : "other";
}

function folderId(p: string): string {
  try {
    const st = statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return p;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
