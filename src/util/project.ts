// src/util/project.ts — where the cardioseg installation lives (its configs/ presets), found by
// walking up from the running module to the folder holding package.json.
import { existsSync } from "node:fs";
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
