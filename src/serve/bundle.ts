// src/serve/bundle.ts — the page's bundle: web/src/main.ts (and the src/ modules it shares, such as
// src/eval/clinical.ts) bundled by esbuild into dist/web with web/index.html. It is rebuilt when
// any input the last build read is newer than its output, so `cardioseg serve` always serves the
// page of the sources beside it; esbuild's metafile lists those inputs.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/project.js";

export interface WebBundle {
  /** Folder served at / (index.html, app.js, app.css). */
  dir: string;
  rebuilt: boolean;
}

const OUTPUTS = ["index.html", "app.js", "app.css"];

function stale(root: string, dir: string): boolean {
  const metaPath = join(dir, "meta.json");
  if (!existsSync(metaPath) || OUTPUTS.some((f) => !existsSync(join(dir, f)))) return true;
  const built = Math.min(...OUTPUTS.map((f) => statSync(join(dir, f)).mtimeMs));
  let inputs: string[];
  try {
    inputs = Object.keys((JSON.parse(readFileSync(metaPath, "utf8")) as { inputs: Record<string, unknown> }).inputs);
  } catch {
    return true;
  }
  inputs.push("web/index.html");
  return inputs.some((f) => {
    const p = join(root, f);
    return !existsSync(p) || statSync(p).mtimeMs > built;
  });
}

/** Builds dist/web when missing or older than its sources; returns where it is. */
export async function ensureWebBundle(root = projectRoot()): Promise<WebBundle> {
  const dir = join(root, "dist", "web");
  if (!stale(root, dir)) return { dir, rebuilt: false };
  const { build } = await import("esbuild");
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: "web/src/main.ts" },
    bundle: true, format: "esm", target: "es2022", platform: "browser",
    outdir: dir, minify: true, sourcemap: true, metafile: true, logLevel: "silent",
    legalComments: "none", write: false,
  });
  // Each file is replaced whole (two servers or test files may build at once); meta.json last,
  // as the stamp that the rest is complete.
  for (const f of result.outputFiles) writeFileAtomic(f.path, f.contents);
  writeFileAtomic(join(dir, "index.html"), readFileSync(join(root, "web", "index.html")));
  writeFileAtomic(join(dir, "meta.json"), JSON.stringify({ inputs: result.metafile.inputs }));
  return { dir, rebuilt: true };
}
