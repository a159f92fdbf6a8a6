#!/usr/bin/env node
// The `cardioseg` command: runs the compiled CLI (build first with `npm run build`).
import("../dist/src/cli/main.js").catch((err) => {
  console.error(`cardioseg: ${err instanceof Error ? err.message : String(err)}`);
  console.error("Has the project been built? Run `npm run build` in the cardioseg folder.");
  process.exit(1);
});
