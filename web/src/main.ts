// web/src/main.ts — the page's entry point (bundled by esbuild into dist/web/app.js): asks the
// server what it offers, starts the viewer page and switches between it and the Runs page by the
// address's #hash (#/ viewer, #/runs, #/runs/<name>). On a static site (serve --static-site, marked
// by <meta name="cardioseg-site" content="static">) there is no server: what the page offers comes
// from the model's manifest and the model runs in the browser only. `window.cardioseg` exposes the
// live objects for the browser tests and for curious users at the console.
import "./style.css";
import { api, type ServerInfo } from "./api.js";
import { ViewerPage } from "./app.js";
import { fetchManifest } from "./browser-engine.js";
import { RunsPage } from "./runs.js";

/** True on a static site (the page was written by `cardioseg serve --static-site`). */
function isStaticSite(): boolean {
  return document.querySelector('meta[name="cardioseg-site"]')?.getAttribute("content") === "static";
}

/** What a static site offers: its model (in the browser), no data folder, no uploads, no runs. */
async function staticInfo(): Promise<ServerInfo> {
  const m = await fetchManifest(new URL("model/", document.baseURI));
  return {
    version: m.cardiosegVersion, model: { source: m.source, classNames: m.classNames, spacing: m.spacingMm },
    classNames: m.classNames, data: false, engines: { server: false, browser: null },
    limits: { maxUploadMb: 0, maxFiles: 0, studyTtlMin: 0 },
  };
}

declare global {
  interface Window { cardioseg?: { app: ViewerPage; runs: RunsPage; ready: boolean } }
}

async function main(): Promise<void> {
  const staticSite = isStaticSite();
  const info = staticSite ? await staticInfo() : await api.info();
  const app = new ViewerPage(info, staticSite);
  if (staticSite) document.getElementById("nav-runs")!.hidden = true;
  await app.init();
  const runs = new RunsPage(document.getElementById("runs-list")!, document.getElementById("run-detail")!);
  const route = (): void => {
    const hash = location.hash.replace(/^#\/?/, "");
    const onRuns = hash.startsWith("runs");
    document.getElementById("viewer-page")!.hidden = onRuns;
    document.getElementById("runs-page")!.hidden = !onRuns;
    document.getElementById("nav-viewer")!.classList.toggle("active", !onRuns);
    document.getElementById("nav-runs")!.classList.toggle("active", onRuns);
    if (onRuns) {
      void runs.show();
      const name = hash.split("/")[1];
      if (name) void runs.open(decodeURIComponent(name));
    } else {
      runs.hide();
    }
  };
  window.addEventListener("hashchange", route);
  route();
  window.cardioseg = { app, runs, ready: true };
}

main().catch((err: unknown) => {
  document.body.insertAdjacentHTML("afterbegin", `<p class="error" role="alert">The page could not start: ${String(err instanceof Error ? err.message : err).replace(/</g, "&lt;")}</p>`);
});
