// web/src/shims/globals.ts — the two Node globals src/io touches, injected by esbuild into the
// page's bundle (src/serve/bundle.ts): Buffer (the `buffer` package, Node's own API) and a
// `process` with no Node version (so no library takes the browser for Node).
import { Buffer } from "buffer";

const stderr = { write: (s: string): boolean => { console.warn(s.trimEnd()); return true; } };
const process = { env: {} as Record<string, string | undefined>, pid: 1, platform: "browser", versions: {}, stderr, cwd: () => "/" };

export { Buffer, process };
