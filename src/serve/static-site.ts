// src/serve/static-site.ts — `cardioseg serve --static-site OUT`: the page as a folder any static
// web host can serve, with in-browser inference only (the privacy-preserving deployment: studies
// are read and segmented in the visitor's browser, nothing is uploaded anywhere). It holds the page
// bundle (dist/web: app.js, chunks/, ort/ and codecs/ WebAssembly), the model folder (model/:
// manifest.json, network.onnx, preprocess.onnx, postprocess.onnx) and an index.html marked as a
// static site, with a Content-Security-Policy that keeps every request on the site's own origin.
// A `_headers` file asks hosts that read one (Netlify, Cloudflare Pages) for cross-origin isolation,
// which lets onnxruntime-web use several threads; elsewhere it runs on one.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { BROWSER_MODEL_FILES, prepareBrowserModel, type BrowserModel } from "../onnx/browser-model.js";
import { writeFileAtomic } from "../util/fs.js";
import { ensureWebBundle } from "./bundle.js";
import { PAGE_CSP } from "./security.js";

/** What the static site's index.html carries so the page knows there is no server. */
export const STATIC_SITE_META = '<meta name="cardioseg-site" content="static">';

export interface StaticSiteSummary {
  out: string;
  files: number;
  bytes: number;
  model: BrowserModel["origin"];
}

/** Files of the bundle folder that are not part of a site (build bookkeeping). */
const SKIP = new Set(["meta.json"]);

/** Writes the static site of `model` into `out` (absent, empty, or a site written before). */
export async function writeStaticSite(out: string, model: string): Promise<StaticSiteSummary> {
  checkOut(out);
  const browserModel = prepareBrowserModel(model);
  const bundle = await ensureWebBundle();
  mkdirSync(out, { recursive: true });
  for (const name of readdirSync(bundle.dir)) {
    if (SKIP.has(name) || name === "index.html" || name.endsWith(".map")) continue;
    cpSync(join(bundle.dir, name), join(out, name), { recursive: true, filter: (src) => !src.endsWith(".map") });
  }
  const csp = PAGE_CSP.split("; ").filter((d) => !d.startsWith("frame-ancestors")).join("; ");
  const index = readFileSync(join(bundle.dir, "index.html"), "utf8")
    .replace("<head>", `<head>\n${STATIC_SITE_META}\n<meta http-equiv="Content-Security-Policy" content="${csp}">`);
  writeFileAtomic(join(out, "index.html"), index);
  const dir = join(out, "model");
  rmSync(dir, { recursive: true, force: true });
  writeFileAtomic(join(dir, BROWSER_MODEL_FILES.network), readFileSync(browserModel.networkPath));
  writeFileAtomic(join(dir, BROWSER_MODEL_FILES.preprocess), browserModel.preprocess);
  writeFileAtomic(join(dir, BROWSER_MODEL_FILES.postprocess), browserModel.postprocess);
  writeFileAtomic(join(dir, BROWSER_MODEL_FILES.manifest), `${JSON.stringify(browserModel.manifest, null, 1)}\n`);
  writeFileAtomic(join(out, "_headers"), "/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n");
  const sizes = listFiles(out).map((f) => statSync(f).size);
  return { out, files: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0), model: browserModel.origin };
}

/** Refuses to write into a folder that holds anything but an earlier static site. */
function checkOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new Error(`--static-site ${out}: is a file, not a folder`);
  const entries = readdirSync(out);
  if (entries.length === 0) return;
  const index = join(out, "index.html");
  if (existsSync(index) && readFileSync(index, "utf8").includes(STATIC_SITE_META)) return;
  throw new Error(`--static-site ${out}: the folder is not empty and holds no cardioseg site; give a new or empty folder`);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}
