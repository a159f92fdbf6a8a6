// src/serve — `cardioseg serve`: a local web app to open a cine MRI, segment it with the model,
// read and correct the volumes and EF, and follow training runs. The page lives in web/ (bundled
// by bundle.ts); this folder is its server: options.ts (flags, token, limits), security.ts,
// paths.ts (request paths kept inside --data/--runs), studies.ts / uploads.ts / dataset.ts (what
// is open), engine.ts (the one seam to the inference engine), segment-jobs.ts, downloads.ts,
// runs.ts, api-*.ts (routes), server.ts (fastify).
export { startServer, type RunningServer, type ServerInfo } from "./server.js";
export { resolveServeOptions, isLoopbackHost, type ServeOptions, type ServeFlags } from "./options.js";
export { ensureWebBundle } from "./bundle.js";
