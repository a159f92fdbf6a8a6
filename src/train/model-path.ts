// model-path.ts owns which weights file a model argument designates — the one resolver behind
// `predict`, `evaluate`, `serve` and `train --init`:
//   (no argument) or "shipped"  the shipped model, models/acdc-deeplabv3plus.safetensors in the
//                               installation (see models/README.md), with a clear error while it
//                               is not there;
//   a run folder                its best.safetensors, else last.safetensors;
//   a file                      itself.
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { projectRoot } from "../util/project.js";

/** File name of the shipped ACDC model under models/. */
export const SHIPPED_MODEL_NAME = "acdc-deeplabv3plus.safetensors";

/** Where the shipped model lives in this installation (it may not exist yet). */
export function shippedModelPath(): string {
  return join(projectRoot(), "models", SHIPPED_MODEL_NAME);
}

/** The weights file a path designates: a run folder's best (else last) weights, or the file itself. */
export function resolveWeightsPath(path: string): string {
  if (!existsSync(path)) throw new Error(`${path}: no such run folder or checkpoint`);
  if (!statSync(path).isDirectory()) return path;
  for (const name of ["best.safetensors", "last.safetensors"]) {
    const p = join(path, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${path}: the run folder has neither best.safetensors nor last.safetensors`);
}

/** The weights file for a --model/--init argument; no argument (or "shipped") means the shipped model. */
export function resolveModelPath(arg?: string | null): string {
  const given = arg?.trim() ?? "";
  if (given !== "" && (given !== "shipped" || existsSync(given))) return resolveWeightsPath(given);
  const shipped = shippedModelPath();
  if (!existsSync(shipped)) {
    throw new Error(`no --model given and this installation has no shipped model yet (${shipped} is missing): `
      + "pass --model RUNDIR (a run folder from `cardioseg train`) or a .safetensors file; models/README.md says how the shipped model is made");
  }
  return shipped;
}

/** A short name for a model file, for default output folders: "acdc-deeplabv3plus" for the shipped one. */
export function modelName(weightsPath: string): string {
  return basename(weightsPath).replace(/\.safetensors$/, "");
}
