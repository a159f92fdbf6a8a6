// `cardioseg serve` — the web app: open a cine MRI (upload or --data case), segment it, read and
// correct LV/RV volumes and EF, download the results; a Runs page follows training runs.
// Listens on 127.0.0.1 unless --host says otherwise; any other host needs a token (given or
// generated and printed). The server lives in src/serve, the page in web/.
import type { Command } from "commander";
import type { ServeFlags } from "../../serve/index.js";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("web app: view a cine MRI, segment it, read EF, correct it; follow training runs")
    .option("--model <path>", "run folder (best, else last weights) or a .safetensors checkpoint for Segment (default: the shipped model, when there is one)")
    .option("--data <dir>", "a data set folder (ACDC, Sunnybrook, generic) whose cases the page can open")
    .option("--runs <dir>", "folder of training runs for the Runs page (default runs/)")
    .option("--host <addr>", "address to listen on; beyond loopback a token is required", "127.0.0.1")
    .option("--port <n>", "port (0 picks a free one)", "8080")
    .option("--token <t>", "require this token on every request (generated when --host is not loopback)")
    .option("--tls-cert <file>", "serve HTTPS with this PEM certificate (with --tls-key)")
    .option("--tls-key <file>", "the certificate's PEM private key")
    .option("--max-upload-mb <n>", "largest upload (all files together), MB", "1024")
    .option("--max-files <n>", "most files in one upload", "5000")
    .option("--study-ttl-min <n>", "delete an open study (and its uploaded files) after this many minutes unused", "30")
    .option("--threads <n>", "inference threads (default: libtorch's)")
    .option("--static-site <dir>", "write the page with --model as a folder for any static web host (in-browser inference only), then exit")
    .action(async (flags: ServeFlags & { staticSite?: string }) => {
      if (flags.staticSite !== undefined) {
        if (!flags.model) throw new Error("--static-site needs --model (the model the site runs in the browser)");
        const { writeStaticSite } = await import("../../serve/static-site.js");
        const site = await writeStaticSite(flags.staticSite, flags.model);
        console.log(`static site written to ${site.out}: ${site.files} files, ${(site.bytes / 2 ** 20).toFixed(1)} MB ` +
          `(the model's ONNX: ${site.model}). Serve the folder from any web host; the model runs in the visitor's browser.`);
        return;
      }
      const { resolveServeOptions, startServer, isLoopbackHost } = await import("../../serve/index.js");
      const o = resolveServeOptions(flags);
      const server = await startServer(o);
      if (!isLoopbackHost(o.host) && !o.tls) {
        console.error("warning: serving plain HTTP beyond loopback: the token and the images travel unencrypted. " +
          "Use --tls-cert/--tls-key, or put an HTTPS reverse proxy in front (README, \"Web app\").");
      }
      if (!flags.token && o.token) console.error("a token was generated for this non-loopback address; it is in the URL below");
      console.log(`cardioseg serve: ${server.url}`);
      if (!o.model) console.error("note: no --model given and no shipped model (models/README.md): the viewer and Runs pages work, Segment needs a model");
      const stop = (): void => { void server.close().then(() => process.exit(0)); };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
