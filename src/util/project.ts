// src/util/project.ts — where the cardioseg installation lives (its configs/ presets), found by
// walking up from the running module to the folder holding package.json, and its version.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the cardioseg folder (package.json) to read configs/ from");
    dir = up;
  }
  return dir;
}

/** cardioseg's version, from its package.json (what exported models and reports record). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
