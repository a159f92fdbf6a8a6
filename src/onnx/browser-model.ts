// browser-model.ts owns what a browser needs to run a model with onnxruntime-web: the network as
// ONNX (network.onnx), the pre/postprocessing graphs (preprocess.onnx, postprocess.onnx, from
// pipeline.ts) and a manifest.json naming them with the classes and spacing. `cardioseg serve`
// serves them under /model/ and `serve --static-site` writes them into the site.
//
// Where the network's ONNX comes from (decisions.md): a model given as an exported .onnx file is
// used as it is; for a run folder or weights file, an .onnx with the weights' stem beside them
// (best.onnx beside best.safetensors, how a shipped model carries its export) is used when its
// metadata names the same weights (cardioseg.weights_sha256); otherwise the model is exported on
// first use into the cache, keyed by the weights' sha256, and found there the next time.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { resolveWeightsPath } from "../infer/predictor.js";
import { cacheDir } from "../util/cache.js";
import { writeFileAtomic } from "../util/fs.js";
import { bytesSha256, fileSha256 } from "../util/hash.js";
import { packageVersion } from "../util/project.js";
import { buildOnnx, checkExportable } from "./export.js";
import { readExportMetadata, type ExportedModelInfo } from "./metadata.js";
import { postprocessGraph, preprocessGraph } from "./pipeline.js";
import { modelMetadata, parseModel } from "./proto.js";

export const BROWSER_MODEL_FORMAT = "cardioseg-browser-model-1";

/** The files of a browser model, by role (names inside the model folder). */
export const BROWSER_MODEL_FILES = {
  manifest: "manifest.json", network: "network.onnx", preprocess: "preprocess.onnx", postprocess: "postprocess.onnx",
} as const;

/** manifest.json: what the page needs to know before it loads the graphs. */
export interface BrowserModelManifest {
  format: typeof BROWSER_MODEL_FORMAT;
  /** What the model was given as (a run folder, a weights or .onnx file name), for display. */
  source: string;
  /** sha256 of the weights (or of the .onnx file when the model was given as one). */
  sha256: string;
  classNames: string[];
  spacingMm: number;
  numClasses: number;
  cardiosegVersion: string;
  files: { network: string; preprocess: string; postprocess: string };
}

export interface BrowserModel {
  manifest: BrowserModelManifest;
  /** The network's ONNX file on disk (beside the weights, in the cache, or the given .onnx). */
  networkPath: string;
  preprocess: Uint8Array;
  postprocess: Uint8Array;
  /** How the network's ONNX was found: "given", "beside the weights", "cache" or "exported". */
  origin: "given" | "beside the weights" | "cache" | "exported";
}

/** The network export of a weights file kept in the cache (what prepareBrowserModel reads and writes). */
export function cachedNetworkPath(weightsSha256: string, root = cacheDir()): string {
  return join(root, "onnx", `${weightsSha256}.onnx`);
}

/** Throws, naming the file and the reason, when `model` cannot give a browser model (cheap: headers only). */
export function checkBrowserModel(model: string): void {
  if (isOnnxFile(model)) {
    readExportMetadata(modelMetadata(parseModel(readFileSync(model), model)), model);
    return;
  }
  checkExportable(resolveWeightsPath(model));
}

/**
 * The browser model of a run folder, weights file or exported .onnx (see the header for where
 * the network comes from). Exporting takes seconds for a real model; later calls find the cache.
 */
export function prepareBrowserModel(model: string, o: { cacheRoot?: string } = {}): BrowserModel {
  if (isOnnxFile(model)) {
    const info = networkInfo(model);
    return assemble(model, basename(model), bytesSha256(readFileSync(model)), info, "given");
  }
  const weights = resolveWeightsPath(model);
  const sha = fileSha256(weights);
  const beside = join(dirname(weights), `${basename(weights, extname(weights))}.onnx`);
  if (existsSync(beside)) {
    const info = networkInfo(beside);
    if (info.weightsSha256 === sha) return assemble(beside, model, sha, info, "beside the weights");
  }
  const cached = cachedNetworkPath(sha, o.cacheRoot);
  if (existsSync(cached)) {
    try {
      const info = networkInfo(cached);
      if (info.weightsSha256 === sha) return assemble(cached, model, sha, info, "cache");
    } catch {
      // an unreadable cache entry is rebuilt below
    }
  }
  const built = buildOnnx(weights, { dynamic: true, foldBatchNorm: true });
  writeFileAtomic(cached, built.model);
  return assemble(cached, model, sha, networkInfo(cached), "exported");
}

function isOnnxFile(path: string): boolean {
  return path.toLowerCase().endsWith(".onnx") && statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

function networkInfo(path: string): ExportedModelInfo {
  return readExportMetadata(modelMetadata(parseModel(readFileSync(path), path)), path);
}

function assemble(networkPath: string, source: string, sha256: string, info: ExportedModelInfo, origin: BrowserModel["origin"]): BrowserModel {
  const manifest: BrowserModelManifest = {
    format: BROWSER_MODEL_FORMAT, source, sha256,
    classNames: info.classes.map((c) => c.name), spacingMm: info.spacingMm, numClasses: info.config.model.numClasses,
    cardiosegVersion: packageVersion(),
    files: { network: BROWSER_MODEL_FILES.network, preprocess: BROWSER_MODEL_FILES.preprocess, postprocess: BROWSER_MODEL_FILES.postprocess },
  };
  return { manifest, networkPath, preprocess: preprocessGraph(), postprocess: postprocessGraph(manifest.numClasses), origin };
}
