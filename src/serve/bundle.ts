// src/serve/bundle.ts — the page's bundle: web/src/main.ts (and the src/ modules it shares, such as
// src/eval/clinical.ts) bundled by esbuild into dist/web with web/index.html. It is rebuilt when
// any input the last build read is newer than its output, so `cardioseg serve` always serves the
// page of the sources beside it; esbuild's metafile lists those inputs.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
  mkdirSync(dir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: "web/src/main.ts" },
    bundle: true, format: "esm", target: "es2022", platform: "browser",
    outdir: dir, minify: true, sourcemap: true, metafile: true, logLevel: "silent",
    legalComments: "none",
  });
  writeFileSync(join(dir, "meta.json"), JSON.stringify({ inputs: result.metafile.inputs }));
  copyFileSync(join(root, "web", "index.html"), join(dir, "index.html"));
  return { dir, rebuilt: true };
}
