// Times the web app as a person uses it (README, "Web app", the measured figures): the page's first
// paint in headless Chromium (a fresh browser, then reloads), and Segment to full overlay for one
// ACDC frame on the server path (libtorch) and the in-browser path (onnxruntime-web), three presses
// each (the first in-browser press includes loading the model). The model is the acdc-cpu
// architecture with random weights (speed does not depend on them), or --model M. Run after
// `npm run build`: node scripts/measure-web.mjs [--frame FILE.nii.gz] [--model RUN_OR_WEIGHTS]
// It prints the load average beside the figures: time only on a quiet machine.
/* global window, document, performance -- the callbacks of page.evaluate run in the page */
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { CHROMIUM_ARGS, findChromium } from "../dist/test/serve/helpers.js";
import { startServer } from "../dist/src/serve/index.js";
import { resolveServeOptions } from "../dist/src/serve/options.js";
import { loadConfigFile } from "../dist/src/train/config.js";
import { DeepLabV3 } from "../dist/src/models/index.js";
import { saveCheckpoint } from "../dist/src/train/checkpoint.js";

const { values } = parseArgs({ options: { frame: { type: "string" }, model: { type: "string" } } });
const frame = values.frame ?? "../shared/data/acdc/training/patient001/patient001_frame01.nii.gz";
const load = () => execSync("uptime").toString().trim().replace(/^.*load/, "load");
const root = mkdtempSync(join(tmpdir(), "cardioseg-measure-web-"));
process.env.CARDIOSEG_CACHE_DIR = join(root, "cache");
let model = values.model;
if (!model) {
  const config = loadConfigFile("configs/acdc-cpu.yaml");
  const net = new DeepLabV3(config.model);
  saveCheckpoint(join(root, "best"), { model: net, optimizer: null, sidecar: { iter: 0, rng: null, loader: null, best: null, elapsedS: 0, config } });
  net.dispose();
  model = join(root, "best.safetensors");
}
const log = [];
const server = await startServer(resolveServeOptions({ model, port: 0, runs: root }), (l) => log.push(l));
const browser = await puppeteer.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS, defaultViewport: { width: 1200, height: 800 } });
try {
  const page = await browser.newPage();
  const ready = () => page.waitForFunction(() => window.cardioseg?.ready === true, { timeout: 120_000 });
  // Paint entries are recorded after the paint: wait for the first contentful one.
  const paint = async () => {
    await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0, { timeout: 60_000 });
    return page.evaluate(() => ({
      ...Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, Math.round(e.startTime)])),
      "page ready": Math.round(performance.now()),
    }));
  };
  console.log(load());
  await page.goto(server.url);
  await ready();
  console.log("first load (fresh browser), ms:", await paint());
  for (let i = 0; i < 2; i++) {
    await page.reload();
    await ready();
    console.log("reload, ms:", await paint());
  }
  const open = async () => {
    const before = await page.evaluate(() => window.cardioseg.app.study?.id ?? "");
    await (await page.$("input#file-input")).uploadFile(frame);
    await page.waitForFunction((id) => window.cardioseg.app.study?.id !== id && !document.getElementById("segment").disabled, { timeout: 120_000 }, before);
  };
  const segment = async () => {
    await page.evaluate(() => { window.cardioseg.app.lastSegmentMs = null; });
    await page.click("#segment");
    await page.waitForFunction(() => window.cardioseg.app.lastSegmentMs !== null || !document.getElementById("error").hidden, { timeout: 600_000 });
    const error = await page.$eval("#error", (e) => (e.hidden ? "" : e.textContent));
    if (error) throw new Error(error);
    return page.$eval("#segment-status", (e) => e.textContent);
  };
  for (const engine of ["server", "browser"]) {
    await page.click(`input[name=engine][value=${engine}]`);
    await open();
    console.log(load());
    for (let i = 0; i < 3; i++) console.log(`${engine}:`, await segment());
  }
  console.log(load());
  console.log(log.filter((l) => l.startsWith("model exported")).join("\n"));
} finally {
  await browser.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
}
