// src/util/cache.ts — where cardioseg keeps what it can rebuild (exports of weights to ONNX):
// $CARDIOSEG_CACHE_DIR, else $XDG_CACHE_HOME/cardioseg, else ~/.cache/cardioseg.
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheDir(): string {
  const own = process.env.CARDIOSEG_CACHE_DIR;
  if (own) return own;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"), "cardioseg");
}
