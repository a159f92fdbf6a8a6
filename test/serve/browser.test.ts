// The in-browser path in a real browser (Debian's chromium, puppeteer-core): with "In browser"
// chosen, a study is read by the page itself and segmented by onnxruntime-web (WebAssembly) from the
// model's ONNX export, and no request carries it to the server (the server holds no study, no
// upload request is made). The labels agree with the server's libtorch path (Dice >= 0.999 per
// structure) and so does the EF (within 0.1 %); a DICOM series folder opened through the folder
// input (and dropped on the page) is read and segmented in the page as the server's reader and
// `cardioseg predict`'s volume predictor do, and its DICOM SEG, written in the page, is one
// multi-frame SEG of every phase referencing the right images; `serve --static-site` writes a
// folder that a plain static file server (node:http here, the test's own) serves and that segments
// the same. Screenshots go to the test's temporary folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import puppeteer, { type Browser, type ElementHandle, type Page } from "puppeteer-core";
import { Predictor } from "../../src/infer/index.js";
import { readNifti } from "../../src/io/nifti/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import { resolveServeOptions } from "../../src/serve/options.js";
import { writeStaticSite } from "../../src/serve/static-site.js";
import { studyInfo } from "../../src/serve/studies.js";
import { studyFromUpload } from "../../src/serve/uploads.js";
import type { TinyRun } from "../infer/helpers.js";
import { readNaturalized } from "../io/seg-readback.js";
import { CHROMIUM_ARGS, findChromium, toyRun, writeCine, writeDicomCine, type DicomCine } from "./helpers.js";

interface PageApp {
  study: { id: string; source: string; name: string; dims: number[]; spacing: number[]; frames: string[] } | null;
  lastSegmentMs: number | null;
  segmenting: unknown;
  labels: (Uint8Array | undefined)[];
}
/** What the test reads of the page (web/src/main.ts exposes it as window.cardioseg). */
interface PageGlobals { cardioseg?: { app: PageApp; ready: boolean }; lastStudy?: string }


const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed (scripts/setup.mjs installs Debian's chromium when run as root)";

let run: TinyRun;
let server: RunningServer | undefined;
let site: Server | undefined;
let browser: Browser | undefined;
let page: Page;
let cine: string, screens: string, downloads: string;
let dicom: DicomCine;
const requests: { method: string; url: string }[] = [];
const problems: string[] = [];
/** The in-browser labels of the NIfTI cine (test 1), the reference of the later tests. */
let browserLabels: number[][];
let browserEf: number;

async function openPage(p: Page, url: string): Promise<void> {
  p.on("pageerror", (e) => problems.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  p.on("request", (r) => requests.push({ method: r.method(), url: r.url() }));
  const cdp = await p.createCDPSession();
  await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  await p.goto(url);
  await p.waitForFunction(() => (window as unknown as PageGlobals).cardioseg?.ready === true, { timeout: 60_000 });
}

async function choose(p: Page, engine: "server" | "browser"): Promise<void> {
  await p.click(`input[name=engine][value=${engine}]`);
}

/** Opens files through the file (or folder) input and waits for the study to show. */
async function open(p: Page, input: "file-input" | "folder-input", paths: string[]): Promise<void> {
  const before = await p.evaluate(() => {
    document.getElementById("error")!.hidden = true; // a message shown before is not this opening's
    return (window as unknown as PageGlobals).cardioseg!.app.study?.id ?? "";
  });
  await (await p.$(`input#${input}`) as ElementHandle<HTMLInputElement>).uploadFile(...paths);
  await p.waitForFunction((id) => {
    const a = (window as unknown as PageGlobals).cardioseg!.app;
    return (a.study !== null && a.study.id !== id && !(document.getElementById("segment") as HTMLButtonElement).disabled) ||
      !document.getElementById("error")!.hidden;
  }, { timeout: 60_000 }, before);
  assert.equal(await p.$eval("#error", (e) => (e as HTMLElement).hidden), true, await p.$eval("#error", (e) => e.textContent ?? ""));
}

/** Presses Segment for all frames and returns the page's labels once the last slice is in. */
async function segmentAll(p: Page): Promise<number[][]> {
  await p.select("#frames-choice", "all");
  await p.evaluate(() => { (window as unknown as PageGlobals).cardioseg!.app.lastSegmentMs = null; });
  await p.click("#segment");
  await p.waitForFunction(() => {
    const a = (window as unknown as PageGlobals).cardioseg!.app;
    return (a.lastSegmentMs !== null && a.segmenting === null) || !document.getElementById("error")!.hidden;
  }, { timeout: 180_000 });
  assert.equal(await p.$eval("#error", (e) => (e as HTMLElement).hidden), true, await p.$eval("#error", (e) => e.textContent ?? ""));
  return p.evaluate(() => (window as unknown as PageGlobals).cardioseg!.app.labels.map((l) => Array.from(l ?? [])));
}

/** The LV EF shown with ED = frame 0 and ES = frame 1. */
async function shownEf(p: Page): Promise<number> {
  await p.select("#ed-select", "0");
  await p.select("#es-select", "1");
  return Number(await p.$eval("#clinical tr[data-index=lv_ef_pct] td.n", (e) => (e as HTMLElement).dataset.value ?? ""));
}

function dice(a: ArrayLike<number>, b: ArrayLike<number>, c: number): number {
  let both = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === c) na++;
    if (b[i] === c) nb++;
    if (a[i] === c && b[i] === c) both++;
  }
  return na + nb === 0 ? 1 : (2 * both) / (na + nb);
}

function assertAgree(got: number[][], want: ArrayLike<number>[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((labels, t) => {
    assert.equal(labels.length, want[t].length, `${what}, frame ${t}`);
    for (const c of [1, 2, 3]) {
      const d = dice(labels, want[t], c);
      assert.ok(d >= 0.999, `${what}, frame ${t}, class ${c}: Dice ${d}`);
    }
  });
  assert.ok(want.some((l) => Array.from(l).some((v) => v === 3)), `${what}: the model found some LV`);
}

async function waitForDownload(name: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const hit = readdirSync(downloads).find((f) => name.test(f) && !f.endsWith(".crdownload"));
    if (hit) return join(downloads, hit);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no download matching ${name} in ${downloads}: ${readdirSync(downloads).join(", ")}`);
}

/** A plain static file server (the test's own, not the app's): no special headers, loopback only. */
function staticServer(root: string): Promise<Server> {
  const types: Record<string, string> = {
    ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
    ".json": "application/json", ".wasm": "application/wasm",
  };
  const s = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

before(async () => {
  if (skip) return;
  run = await toyRun("cardioseg-browser-");
  process.env.CARDIOSEG_CACHE_DIR = join(run.root, "cache");
  screens = join(run.root, "screenshots");
  downloads = join(run.root, "downloads");
  mkdirSync(screens);
  mkdirSync(downloads);
  cine = writeCine(run, run.root).path;
  const patient = join(run.dataDir, "patient001");
  const frames = readdirSync(patient).filter((f) => /frame\d+\.nii\.gz$/.test(f)).sort().map((f) => readNifti(join(patient, f)));
  dicom = writeDicomCine(join(run.root, "Doe_Jane_dicom"), frames);
  server = await startServer(resolveServeOptions({ model: run.runDir, runs: join(run.root, "runs"), port: 0 }), (l) => problems.push(`log: ${l}`));
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS, defaultViewport: { width: 1200, height: 800 } });
  page = await browser.newPage();
  await openPage(page, server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((r) => (site ? site.close(r) : r(undefined)));
});

test("In browser: a NIfTI cine is read and segmented in the page; no request carries it to the server", { skip }, async () => {
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, "the server's page is cross-origin isolated (threads)");
  await choose(page, "browser");
  const from = requests.length;
  // A file that is no image gets the server reader's own message, in the page.
  const notes = join(run.root, "notes.txt");
  writeFileSync(notes, "not an image");
  await (await page.$("input#file-input") as ElementHandle<HTMLInputElement>).uploadFile(notes);
  await page.waitForFunction(() => !document.getElementById("error")!.hidden, { timeout: 60_000 });
  assert.match(await page.$eval("#error", (e) => e.textContent ?? ""), /cannot open the files: notes\.txt: not a DICOM file/);
  await open(page, "file-input", [cine]);
  assert.match(await page.$eval("#segment-status", (e) => e.textContent ?? ""), /read in this browser/);
  browserLabels = await segmentAll(page);
  browserEf = await shownEf(page);
  await page.screenshot({ path: join(screens, "in-browser.png") });
  const sent = requests.slice(from);
  const origin = server!.origin;
  assert.deepEqual(sent.filter((r) => r.method !== "GET"), [], "only GET requests");
  assert.deepEqual(sent.filter((r) => r.url.includes("/api/studies")), [], "no study request");
  assert.ok(sent.every((r) => r.url.startsWith(origin) || r.url.startsWith("blob:") || r.url.startsWith("data:")), "nothing leaves the page's origin");
  assert.ok(sent.some((r) => r.url === `${origin}/model/network.onnx`), "the model came from the server");
  assert.equal(server!.store.size, 0, "the server holds no study");
  assert.deepEqual(readdirSync(server!.store.uploadRoot), []);
  assert.match(await page.$eval("#segment-status", (e) => e.textContent ?? ""), /in this browser/);
});

test("the server path segments the same cine to the same labels (Dice >= 0.999) and EF (within 0.1 %)", { skip }, async () => {
  await choose(page, "server");
  await open(page, "file-input", [cine]);
  const serverLabels = await segmentAll(page);
  assertAgree(browserLabels, serverLabels, "in browser vs server");
  const ef = await shownEf(page);
  assert.ok(Number.isFinite(ef) && Math.abs(ef - browserEf) <= 0.1, `EF in browser ${browserEf} %, on the server ${ef} %`);
  // The same study (now on the server) segmented in the browser: the same engine on the same voxels.
  await choose(page, "browser");
  const again = await segmentAll(page);
  assert.deepEqual(again, browserLabels, "a server study segmented in the browser gets the in-browser labels");
});

test("a DICOM series folder read in the page (folder input) segments as the server's reader and predict's volume predictor do", { skip }, async () => {
  await choose(page, "browser");
  await open(page, "folder-input", [dicom.dir]);
  const files = readdirSync(dicom.dir).sort().map((name) => ({ name, path: join(dicom.dir, name) }));
  const reference = studyFromUpload(files, "Doe_Jane_dicom");
  const want = studyInfo({ ...reference, id: "", labels: [], lastUsed: 0 });
  const shown = (await page.evaluate(() => (window as unknown as PageGlobals).cardioseg!.app.study))!;
  assert.equal(shown.source, "dicom");
  assert.deepEqual([shown.name, shown.dims, shown.spacing, shown.frames], [want.name, want.dims, want.spacing, want.frames]);
  assert.equal(server!.store.size, 0, "the server holds no study");
  const labels = await segmentAll(page);
  const predictor = Predictor.load(run.runDir);
  try {
    assertAgree(labels, reference.frames.map((f) => predictor.predictVolume(f).data), "DICOM in browser vs predict's volume predictor");
  } finally {
    predictor.dispose();
  }
  await page.screenshot({ path: join(screens, "dicom-in-browser.png") });
  // The study's DICOM SEG, written in the page: one multi-frame SEG of both phases.
  await page.$eval("#dl-all-frames", (e) => { (e as HTMLInputElement).checked = true; });
  await page.click("#dl-seg");
  const seg = readNaturalized(await waitForDownload(/Doe_Jane_dicom_seg\.dcm$/), true);
  const [nx, ny, nz] = shown.dims;
  const perFrame = seg.PerFrameFunctionalGroupsSequence as Record<string, Record<string, unknown>[]>[];
  assert.equal(perFrame.length, 3 * 2 * nz, "3 segments x 2 phases x slices");
  const bits = new Uint8Array((seg.PixelData as ArrayBuffer[])[0]);
  perFrame.forEach((f, i) => {
    const segment = Math.floor(i / (2 * nz)) + 1, t = Math.floor(i / nz) % 2, k = i % nz;
    assert.equal(f.FrameContentSequence[0].TemporalPositionIndex, t + 1);
    const source = (f.DerivationImageSequence[0].SourceImageSequence as Record<string, unknown>[])[0];
    assert.equal(source.ReferencedSOPInstanceUID, dicom.uids[t][k], `frame ${i + 1} references phase ${t} slice ${k}`);
    let wrong = 0;
    for (let p = 0; p < nx * ny; p++) {
      const b = i * nx * ny + p;
      if (((bits[b >> 3] >> (b & 7)) & 1) !== (labels[t][k * nx * ny + p] === segment ? 1 : 0)) wrong++;
    }
    assert.equal(wrong, 0, `frame ${i + 1}: ${wrong} pixels differ from the page's labels`);
  });
});

test("a DICOM series folder dropped on the page is read in the page", { skip }, async () => {
  await page.evaluate(() => { (window as unknown as PageGlobals).lastStudy = (window as unknown as PageGlobals).cardioseg!.app.study?.id ?? ""; });
  const box = (await (await page.$("#drop-zone"))!.boundingBox())!;
  const cdp = await page.createCDPSession();
  const drag = { x: box.x + box.width / 2, y: box.y + box.height / 2, data: { items: [], files: [dicom.dir], dragOperationsMask: 1 } };
  await cdp.send("Input.dispatchDragEvent", { type: "dragEnter", ...drag });
  await cdp.send("Input.dispatchDragEvent", { type: "dragOver", ...drag });
  await cdp.send("Input.dispatchDragEvent", { type: "drop", ...drag });
  await page.waitForFunction(() => (window as unknown as PageGlobals).cardioseg!.app.study?.id !== (window as unknown as PageGlobals).lastStudy ||
    !document.getElementById("error")!.hidden, { timeout: 60_000 });
  assert.equal(await page.$eval("#error", (e) => (e as HTMLElement).hidden), true, await page.$eval("#error", (e) => e.textContent ?? ""));
  const shown = (await page.evaluate(() => (window as unknown as PageGlobals).cardioseg!.app.study))!;
  assert.deepEqual([shown.source, shown.frames.length, shown.name], ["dicom", 2, "Doe_Jane_dicom"]);
  assert.equal(server!.store.size, 0, "the server holds no study");
});

test("serve --static-site writes a folder a plain static server serves; the page segments there in the browser", { skip }, async () => {
  const out = join(run.root, "site");
  const summary = await writeStaticSite(out, run.runDir);
  assert.equal(summary.model, "cache", "the network's ONNX exported for the server page was found in the cache");
  for (const f of ["index.html", "app.js", "ort/ort-wasm-simd-threaded.wasm", "model/manifest.json", "model/network.onnx", "model/preprocess.onnx", "model/postprocess.onnx"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.ok(!readdirSync(out, { recursive: true, encoding: "utf8" }).some((f) => f.endsWith(".map") || f === "meta.json"), "no build leftovers");
  site = await staticServer(out);
  const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const p = await browser!.newPage();
  try {
    const from = requests.length;
    await openPage(p, `${origin}/`);
    assert.equal(await p.$eval("input[name=engine][value=server]", (e) => (e as HTMLInputElement).disabled), true);
    assert.equal(await p.$eval("input[name=engine][value=browser]", (e) => (e as HTMLInputElement).checked), true);
    await open(p, "file-input", [cine]);
    const labels = await segmentAll(p);
    assert.deepEqual(labels, browserLabels, "the static site's labels are the server page's in-browser labels");
    assert.ok(Math.abs((await shownEf(p)) - browserEf) < 1e-9);
    await p.screenshot({ path: join(screens, "static-site.png") });
    const sent = requests.slice(from);
    assert.ok(sent.every((r) => r.url.startsWith(origin) || r.url.startsWith("blob:") || r.url.startsWith("data:")), "every request stays on the site");
    assert.deepEqual(sent.filter((r) => r.method !== "GET"), [], "only GET requests");
  } finally {
    await p.close();
  }
  // Writing again over the site works; over an unrelated folder it is refused.
  await writeStaticSite(out, run.runDir);
  await assert.rejects(writeStaticSite(run.dataDir, run.runDir), /not empty and holds no cardioseg site/);
});

test("no page error happened, and the server log names no file or patient", { skip }, () => {
  assert.deepEqual(problems.filter((l) => l.startsWith("pageerror")), []);
  const log = problems.join("\n");
  for (const secret of ["Doe", "Jane", "patient001", "notes.txt"]) assert.ok(!log.includes(secret), `the log mentions ${secret}`);
  assert.ok(readFileSync(join(screens, "in-browser.png")).length > 0);
});
