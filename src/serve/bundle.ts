// src/serve/bundle.ts — the page's bundle: web/src/main.ts (and the src/ modules it shares, such as
// src/eval/clinical.ts) bundled by esbuild into dist/web with web/index.html. It is rebuilt when
// any input the last build read is newer than its output, so `cardioseg serve` always serves the
// page of the sources beside it; esbuild's metafile lists those inputs.
//
// The in-browser path reads studies with cardioseg's own readers (src/serve/uploads.ts and the
// src/io code under it) and writes downloads with its own writers: esbuild maps the Node built-ins
// they use to the shims in web/src/shims (an in-memory file tree, fflate for zlib, Web Crypto) and
// injects Buffer and process; that code and onnxruntime-web load as separate chunks, only when a
// study is opened or segmented in the browser. onnxruntime-web's WebAssembly (ort/) and the DICOM
// codecs' (codecs/) are copied beside the page: nothing comes from a CDN.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/project.js";

export interface WebBundle {
  /** Folder served at / (index.html, app.js, app.css, chunks/, ort/, codecs/). */
  dir: string;
  rebuilt: boolean;
}

const OUTPUTS = ["index.html", "app.js", "app.css"];

/** Node built-ins (with and without the node: prefix) -> the browser shim that stands in for them. */
const SHIMS: Record<string, string> = {
  fs: "web/src/shims/fs.ts", zlib: "web/src/shims/zlib.ts", crypto: "web/src/shims/crypto.ts",
  os: "web/src/shims/os.ts", module: "web/src/shims/module.ts",
};

/** WebAssembly and its loaders the page fetches at run time: package file -> path under dist/web. */
export const RUNTIME_ASSETS: readonly { pkg: string; file: string; to: string }[] = [
  { pkg: "onnxruntime-web", file: "dist/ort-wasm-simd-threaded.wasm", to: "ort/ort-wasm-simd-threaded.wasm" },
  { pkg: "onnxruntime-web", file: "dist/ort-wasm-simd-threaded.mjs", to: "ort/ort-wasm-simd-threaded.mjs" },
  { pkg: "@cornerstonejs/codec-libjpeg-turbo-8bit", file: "dist/libjpegturbowasm_decode.wasm", to: "codecs/libjpegturbowasm_decode.wasm" },
  { pkg: "@cornerstonejs/codec-charls", file: "dist/charlswasm_decode.wasm", to: "codecs/charlswasm_decode.wasm" },
  { pkg: "@cornerstonejs/codec-openjpeg", file: "dist/openjpegwasm_decode.wasm", to: "codecs/openjpegwasm_decode.wasm" },
];

function stale(root: string, dir: string): boolean {
  const metaPath = join(dir, "meta.json");
  if (!existsSync(metaPath) || OUTPUTS.some((f) => !existsSync(join(dir, f)))) return true;
  const built = Math.min(...OUTPUTS.map((f) => statSync(join(dir, f)).mtimeMs));
  let meta: { inputs: Record<string, unknown>; outputs?: string[] };
  try {
    meta = JSON.parse(readFileSync(metaPath, "utf8")) as typeof meta;
  } catch {
    return true;
  }
  if ((meta.outputs ?? []).some((f) => !existsSync(join(dir, f)))) return true;
  const inputs = [...Object.keys(meta.inputs), "web/index.html", "src/serve/bundle.ts"];
  return inputs.some((f) => {
    const p = join(root, f);
    return !existsSync(p) || statSync(p).mtimeMs > built;
  });
}

/** The package's file on disk (npm installs the project's packages under its node_modules). */
function packageFile(root: string, pkg: string, file: string): string {
  const path = join(root, "node_modules", pkg, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm install (npm test and npm run serve do it)`);
  return path;
}

/** Copies the runtime assets that are missing or differ in size (they are megabytes: not every build). */
function copyRuntimeAssets(root: string, dir: string): void {
  for (const a of RUNTIME_ASSETS) {
    const from = packageFile(root, a.pkg, a.file), to = join(dir, a.to);
    if (existsSync(to) && statSync(to).size === statSync(from).size) continue;
    writeFileAtomic(to, readFileSync(from));
  }
}

/** Builds dist/web when missing or older than its sources; returns where it is. */
export async function ensureWebBundle(root = projectRoot()): Promise<WebBundle> {
  const dir = join(root, "dist", "web");
  copyRuntimeAssets(root, dir);
  if (!stale(root, dir)) return { dir, rebuilt: false };
  const { build } = await import("esbuild");
  const alias: Record<string, string> = { "node:path": "path-browserify", path: "path-browserify", pngjs: "./web/src/shims/pngjs.ts" };
  for (const [name, shim] of Object.entries(SHIMS)) alias[name] = alias[`node:${name}`] = `./${shim}`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: "web/src/main.ts" },
    bundle: true, format: "esm", splitting: true, chunkNames: "chunks/[name]-[hash]", target: "es2022", platform: "browser",
    // onnxruntime-web without its WebAssembly loader inlined: the page points it at ort/ (engines).
    conditions: ["onnxruntime-web-use-extern-wasm"],
    alias, inject: ["web/src/shims/globals.ts"], define: { global: "globalThis" },
    outdir: dir, minify: true, sourcemap: true, metafile: true, logLevel: "silent",
    legalComments: "none", write: false,
  });
  // Each file is replaced whole (two servers or test files may build at once); meta.json last,
  // as the stamp that the rest is complete.
  const outputs = result.outputFiles.map((f) => relative(dir, f.path));
  for (const f of result.outputFiles) writeFileAtomic(f.path, f.contents);
  writeFileAtomic(join(dir, "index.html"), readFileSync(join(root, "web", "index.html")));
  removeOldChunks(join(dir, "chunks"), new Set(outputs.map((f) => join(dir, f))));
  writeFileAtomic(join(dir, "meta.json"), JSON.stringify({ inputs: result.metafile.inputs, outputs }));
  return { dir, rebuilt: true };
}

/** Chunks of earlier builds (their names carry a content hash) are removed. */
function removeOldChunks(chunks: string, keep: ReadonlySet<string>): void {
  if (!existsSync(chunks)) return;
  for (const f of readdirSync(chunks)) if (!keep.has(join(chunks, f))) rmSync(join(chunks, f), { force: true });
}
