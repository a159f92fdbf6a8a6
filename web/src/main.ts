// web/src/main.ts — the page's entry point (bundled by esbuild into dist/web/app.js): asks the
// server what it offers, starts the viewer page and switches between it and the Runs page by the
// address's #hash (#/ viewer, #/runs, #/runs/<name>). `window.cardioseg` exposes the live objects
// for the browser tests and for curious users at the console.
import "./style.css";
import { api } from "./api.js";
import { ViewerPage } from "./app.js";
import { RunsPage } from "./runs.js";

declare global {
  interface Window { cardioseg?: { app: ViewerPage; runs: RunsPage; ready: boolean } }
}

async function main(): Promise<void> {
  const info = await api.info();
  const app = new ViewerPage(info);
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
