// The page in a real browser (Debian's chromium driven by puppeteer-core; WebGL2 by SwiftShader):
// a cine NIfTI uploaded through the file input is segmented on the server, and what a person sees
// is checked against independent references — the overlay's colour at the predicted LV centre and
// at background, the image voxel NiiVue reports under the crosshair, the EF in the panel against
// `cardioseg predict` + the score's clinical EF, the downloaded label map against predict's output voxel
// for voxel, a correction painted with the pen, a data-set case's Dice, a bad upload's message, and
// the Runs page following a training log live. Screenshots go to the test's temporary folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser, type ElementHandle, type HTTPRequest, type Page } from "puppeteer-core";
import { PNG } from "pngjs";
import type { ImageVolume } from "../../src/io/image.js";
import { readNifti, writeNiftiLabels } from "../../src/io/nifti/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import { resolveServeOptions } from "../../src/serve/options.js";
import { ACDC_CLASSES, type ScoreReport } from "../../src/eval/score.js";
import { scoreFolders } from "../../src/eval/score-folders.js";
import { CLI_MAIN, type TinyRun } from "../infer/helpers.js";
import { CHROMIUM_ARGS, findChromium, toyRun, writeCine } from "./helpers.js";

/** What the test reads of the page's objects (web/src/main.ts exposes them as window.cardioseg). */
interface PageViewer {
  slice(): number;
  frame: number;
  setFrame(t: number): void;
  setCrosshairVisible(visible: boolean): void;
  goToVoxel(i: number, j: number, k: number): void;
  canvasPosOfVoxel(i: number, j: number, k: number): [number, number] | null;
  location: { values?: { value: number; vox: number[] }[] } | null;
}
interface PageApp {
  study: { source: string } | null;
  lastSegmentMs: number | null;
  segmenting: unknown;
  segment(): Promise<void>;
  labels: (Uint8Array | undefined)[];
  viewer: PageViewer;
}
interface PageRuns { current: { name: string; log: { train: unknown[] } | null } | null }

declare global {
  interface Window { cardioseg?: { app: PageApp; runs: PageRuns; ready: boolean } }
}

const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed (scripts/setup.mjs installs Debian's chromium when run as root)";

let run: TinyRun;
let server: RunningServer | undefined;
let browser: Browser | undefined;
let page: Page;
let cine: string, downloads: string, screens: string;
let image: ImageVolume;
let predicted: ImageVolume[];
let score: ScoreReport;
const serverLog: string[] = [];

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `cardioseg ${args[0]} failed: ${r.stderr}`);
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

/** RGB at CSS pixel (x, y) of the canvas, from a screenshot of the canvas element (what is on screen). */
async function canvasRgb(x: number, y: number, shot: string): Promise<[number, number, number]> {
  const canvas = (await page.$("#gl"))!;
  writeFileSync(shot, await canvas.screenshot({ type: "png" }));
  const png = PNG.sync.read(readFileSync(shot));
  const px = Math.round(x), py = Math.round(y);
  const at = (px + py * png.width) * 4;
  return [png.data[at], png.data[at + 1], png.data[at + 2]];
}

/**
 * Where a file voxel lies in the grid turned to the nearest anatomical (RAS) axes, as NiiVue
 * orders it: each file axis goes to the world axis its affine column points along most, reversed
 * when it points backwards.
 */
function rasVoxel(v: readonly number[], vol: ImageVolume): number[] {
  const out = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const col = [0, 1, 2].map((r) => vol.affine[r * 4 + c]);
    const axis = col.reduce((best, x, r) => (Math.abs(x) > Math.abs(col[best]) ? r : best), 0);
    out[axis] = col[axis] > 0 ? v[c] : vol.dims[c] - 1 - v[c];
  }
  return out;
}

/** The predicted voxel of class `value` deepest inside its region on the slice with most of it (file order). */
function centreOf(labels: ImageVolume, value: number): [number, number, number] | null {
  const [nx, ny, nz] = labels.dims;
  let best: [number, number, number] | null = null, bestDepth = -1;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        if (labels.data[i + nx * (j + ny * k)] !== value) continue;
        let d = 0;
        const inside = (a: number, b: number): boolean => a >= 0 && b >= 0 && a < nx && b < ny && labels.data[a + nx * (b + ny * k)] === value;
        while (inside(i + d + 1, j) && inside(i - d - 1, j) && inside(i, j + d + 1) && inside(i, j - d - 1)) d++;
        if (d > bestDepth) { bestDepth = d; best = [i, j, k]; }
      }
    }
  }
  return best;
}

before(async () => {
  if (skip) return;
  run = await toyRun("cardioseg-web-");
  downloads = join(run.root, "downloads");
  screens = join(run.root, "screenshots");
  mkdirSync(downloads);
  mkdirSync(screens);
  const c = writeCine(run, run.root);
  cine = c.path;
  image = readNifti(cine);
  // The references: `cardioseg predict` on the same file, and `cardioseg score` on its ED/ES frames.
  const pred = join(run.root, "pred");
  cli(["predict", "--model", run.runDir, "--out", pred, cine]);
  predicted = [0, 1].map((t) => readNifti(join(pred, `Doe_Jane_cine_t0${t}`, `Doe_Jane_cine_t0${t}_pred.nii.gz`)));
  const scorePred = join(run.root, "score", "pred"), scoreGt = join(run.root, "score", "gt");
  mkdirSync(scorePred, { recursive: true });
  mkdirSync(scoreGt, { recursive: true });
  copyFileSync(join(pred, "Doe_Jane_cine_t00", "Doe_Jane_cine_t00_pred.nii.gz"), join(scorePred, "case_ED.nii.gz"));
  copyFileSync(join(pred, "Doe_Jane_cine_t01", "Doe_Jane_cine_t01_pred.nii.gz"), join(scorePred, "case_ES.nii.gz"));
  writeNiftiLabels(join(scoreGt, "case_ED.nii.gz"), c.truth[0]);
  writeNiftiLabels(join(scoreGt, "case_ES.nii.gz"), c.truth[1]);
  // `cardioseg score`'s own function, in this process (the CLI only prints what it returns).
  score = scoreFolders({ predDir: scorePred, gtDir: scoreGt, classes: ACDC_CLASSES });

  server = await startServer(resolveServeOptions({ model: run.runDir, data: run.dataDir, runs: join(run.root, "runs"), port: 0 }), (l) => serverLog.push(l));
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS, defaultViewport: { width: 1200, height: 800 } });
  page = await browser.newPage();
  page.on("pageerror", (e) => serverLog.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  const cdp = await page.createCDPSession();
  await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  await page.goto(server.url);
  await page.waitForFunction(() => window.cardioseg?.ready === true, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("a bad upload shows its reason on the page and the server keeps serving", { skip }, async () => {
  const notes = join(run.root, "notes.txt");
  writeFileSync(notes, "not an image");
  await (await page.$("input#file-input") as ElementHandle<HTMLInputElement>).uploadFile(notes);
  await page.waitForFunction(() => !document.getElementById("error")!.hidden, { timeout: 20_000 });
  assert.match(await page.$eval("#error", (e) => e.textContent ?? ""), /notes\.txt: not a DICOM file/);
  await page.screenshot({ path: join(screens, "bad-upload.png") });
});

test("a cine uploaded through the file input is segmented; the overlay shows LV, MYO and background where predict put them", { skip }, async () => {
  await (await page.$("input#file-input") as ElementHandle<HTMLInputElement>).uploadFile(cine);
  await page.waitForFunction(() => window.cardioseg!.app.study !== null && !(document.getElementById("segment") as HTMLButtonElement).disabled, { timeout: 30_000 });
  await page.click("#segment");
  await page.waitForFunction(() => window.cardioseg!.app.lastSegmentMs !== null, { timeout: 120_000 });
  assert.equal(await page.$eval("#error", (e) => (e as HTMLElement).hidden), true, await page.$eval("#error", (e) => e.textContent ?? ""));
  await page.screenshot({ path: join(screens, "segmented.png") });
  const checks: [string, number, (rgb: number[]) => boolean][] = [
    ["LV", 3, ([r, g, b]) => r > g + 60 && r > b + 60],
    ["MYO", 2, ([r, g, b]) => g > r + 40 && g > b + 40],
    ["background", 0, ([r, g, b]) => Math.abs(r - g) < 12 && Math.abs(g - b) < 12],
  ];
  for (const [name, value, looksRight] of checks) {
    const v = centreOf(predicted[0], value);
    assert.ok(v, `the toy model predicted some ${name}`);
    const pos = await page.evaluate((i, j, k) => {
      const a = window.cardioseg!.app;
      a.viewer.setFrame(0);
      a.viewer.setCrosshairVisible(false);
      a.viewer.goToVoxel(i, j, k);
      const seen = a.viewer.location?.values?.[0];
      return { pos: a.viewer.canvasPosOfVoxel(i, j, k), vox: seen ? Array.from(seen.vox) : [], value: seen?.value ?? NaN };
    }, ...v);
    assert.ok(pos.pos, `voxel ${v} is in view`);
    // NiiVue's own report of the crosshair (millimetres through the inverse affine, in its
    // anatomically ordered grid) is this voxel, and it reads the file's value there.
    assert.deepEqual(pos.vox, rasVoxel(v, image));
    const [i, j, k] = v;
    assert.ok(Math.abs(pos.value - image.data[i + image.dims[0] * (j + image.dims[1] * k)]) < 1e-3, `image value ${pos.value}`);
    const rgb = await canvasRgb(pos.pos[0], pos.pos[1], join(screens, `${name}.png`));
    assert.ok(looksRight(rgb), `${name} at voxel ${v.join(",")} drawn as rgb(${rgb.join(",")})`);
  }
  await page.evaluate(() => window.cardioseg!.app.viewer.setCrosshairVisible(true));
});

test("the EF in the panel equals cardioseg predict + the score's clinical EF", { skip }, async () => {
  assert.match(await page.$eval("#edes-source", (e) => e.textContent ?? ""), /largest \/ smallest LV volume/);
  // The phase the score calls ED is frame 0 of the cine: say so, as a user would.
  await page.select("#ed-select", "0");
  await page.select("#es-select", "1");
  const shown = await page.$eval("#clinical tr[data-index=lv_ef_pct] td.n", (e) => e.textContent ?? "");
  const ef = Number(/(-?\d+(\.\d+)?) %/.exec(shown)?.[1]);
  const reference = score.clinical?.subjects[0].pred.lv_ef_pct;
  assert.ok(typeof reference === "number" && Number.isFinite(ef), `panel "${shown}", score ${reference}`);
  assert.ok(Math.abs(ef - reference) <= 0.1, `panel ${ef} vs score ${reference}`);
  const edv = Number((await page.$eval("#clinical tr[data-index=lv_edv_ml] td.n", (e) => (e as HTMLElement).dataset.value ?? "")));
  assert.ok(Math.abs(edv - (score.clinical?.subjects[0].pred.lv_edv_ml ?? NaN)) < 1e-6);
});

test("the downloaded label map equals cardioseg predict's output voxel for voxel, in the input's geometry", { skip }, async () => {
  await page.click("#dl-nifti");
  const file = await waitForDownload(/_pred_4d\.nii\.gz$/);
  const got = readNifti(file);
  assert.deepEqual(got.dims, [...image.dims.slice(0, 3), 2]);
  got.affine.forEach((a, i) => assert.ok(Math.abs(a - predicted[0].affine[i]) < 1e-5, `affine[${i}]`));
  const n = predicted[0].data.length;
  for (const t of [0, 1]) {
    const frame = got.data.subarray(t * n, (t + 1) * n);
    let differ = 0;
    for (let v = 0; v < n; v++) if (frame[v] !== predicted[t].data[v]) differ++;
    assert.equal(differ, 0, `frame ${t}: ${differ} voxels differ`);
  }
});

test("painting LV with the pen changes the labels under it, the LV volume follows, and the saved map has it", { skip }, async () => {
  const [nx, ny] = predicted[0].dims;
  const plane = nx * ny;
  // A background voxel of the ED frame's mid slice, away from the heart.
  const k = Math.floor(predicted[0].dims[2] / 2);
  let target: [number, number, number] | null = null;
  for (let j = 2; j < ny - 2 && !target; j++) for (let i = 2; i < nx - 2 && !target; i++) if (predicted[0].data[i + nx * j + plane * k] === 0) target = [i, j, k];
  assert.ok(target);
  const before = await page.$eval("#clinical tr[data-index=lv_edv_ml] td.n", (e) => Number((e as HTMLElement).dataset.value));
  await page.evaluate(() => window.cardioseg!.app.viewer.setCrosshairVisible(false));
  const pos = await page.evaluate((i, j, kk) => {
    const a = window.cardioseg!.app;
    a.viewer.setFrame(0);
    a.viewer.goToVoxel(i, j, kk);
    return a.viewer.canvasPosOfVoxel(i, j, kk);
  }, ...target);
  await page.$eval("#pen-size", (e) => { (e as HTMLInputElement).value = "1"; e.dispatchEvent(new Event("input")); });
  await page.click("#tools button:nth-child(4)"); // View, Paint RV, Paint MYO, Paint LV
  const box = (await (await page.$("#gl"))!.boundingBox())!;
  await page.mouse.move(box.x + pos![0], box.y + pos![1]);
  await page.mouse.down();
  await page.mouse.move(box.x + pos![0] + 1, box.y + pos![1]);
  await page.mouse.up();
  await page.click("#tools button:nth-child(1)");
  const labels = await page.evaluate(() => Array.from(window.cardioseg!.app.labels[0]!));
  const changed = labels.flatMap((l, v) => (l !== predicted[0].data[v] ? [v] : []));
  const [ti, tj, tk] = target;
  assert.ok(changed.includes(ti + nx * tj + plane * tk), `the voxel under the pen was painted (changed: ${changed.join(",")})`);
  assert.ok(changed.every((v) => labels[v] === 3), "only LV was painted");
  const after = await page.$eval("#clinical tr[data-index=lv_edv_ml] td.n", (e) => Number((e as HTMLElement).dataset.value));
  const voxelMl = image.spacing[0] * image.spacing[1] * image.spacing[2] / 1000;
  assert.ok(Math.abs(after - before - changed.length * voxelMl) < 1e-6, `LV EDV ${before} -> ${after} for ${changed.length} voxels`);
  await page.screenshot({ path: join(screens, "corrected.png") });
  await page.$eval("#dl-all-frames", (e) => { (e as HTMLInputElement).checked = false; });
  await page.click("#dl-nifti");
  const saved = readNifti(await waitForDownload(/Doe_Jane_cine_t00_pred\.nii\.gz$/));
  assert.deepEqual(Array.from(saved.data), labels);
});

test("keys and the wheel move through slices and frames", { skip }, async () => {
  const where = (): Promise<[number, number]> => page.evaluate(() => {
    const v = window.cardioseg!.app.viewer;
    return [v.slice(), v.frame] as [number, number];
  });
  await page.evaluate(() => window.cardioseg!.app.viewer.setFrame(0));
  const [k0] = await where();
  await page.keyboard.press("ArrowRight");
  assert.equal((await where())[1], 1, "→ shows the next frame");
  await page.keyboard.press("ArrowLeft");
  assert.equal((await where())[1], 0, "← the previous one");
  await page.keyboard.press(k0 > 0 ? "ArrowDown" : "ArrowUp");
  const [k1] = await where();
  assert.equal(Math.abs(k1 - k0), 1, `↑/↓ move one slice (${k0} -> ${k1})`);
  const box = (await (await page.$("#gl"))!.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel({ deltaY: k1 > 0 ? 120 : -120 });
  await page.waitForFunction((k) => window.cardioseg!.app.viewer.slice() !== k, { timeout: 5000 }, k1);
});

test("the view downloads as a PNG and the one-page report carries the EF and the key slices", { skip }, async () => {
  await page.click("#dl-png");
  const png = PNG.sync.read(readFileSync(await waitForDownload(/Doe_Jane_cine\.png$/)));
  const canvas = await page.$eval("#gl", (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
  assert.deepEqual([png.width, png.height], canvas);
  await page.click("#dl-report");
  const html = readFileSync(await waitForDownload(/_report\.html$/), "utf8");
  const ef = await page.$eval("#clinical tr[data-index=lv_ef_pct] td.n", (e) => (e.textContent ?? "").replace(" %", ""));
  assert.match(html, new RegExp(`LV EF</td><td class="n">${ef.replace(".", "\\.")} %`));
  assert.equal((html.match(/<img [^>]*src="data:image\/png;base64,/g) ?? []).length, 2, "ED and ES key slices");
  assert.match(html, /labels corrected by hand/);
});

test("a data-set case opens from the server's list with its ground truth and shows Dice per structure", { skip }, async () => {
  await page.$eval("#data-panel", (e) => { (e as HTMLDetailsElement).open = true; });
  await page.waitForSelector("#data-list button[data-cases='0,1']");
  // The case's ground truth is held back: Segment pressed while the case still opens must wait
  // (it once started at once, and the arriving study state threw its labels away).
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  await page.setRequestInterception(true);
  const segmentRequests: string[] = [];
  const hold = (req: HTTPRequest): void => {
    if (req.url().endsWith("/segment")) segmentRequests.push(req.url());
    if (/\/truth\/\d+$/.test(req.url())) void held.then(() => req.continue());
    else void req.continue();
  };
  page.on("request", hold);
  try {
    await page.click("#data-list button[data-cases='0,1']");
    await page.waitForFunction(() => window.cardioseg!.app.study?.source === "dataset", { timeout: 30_000 });
    assert.ok(await page.$eval("#segment", (b) => (b as HTMLButtonElement).disabled), "Segment is disabled while the case opens");
    assert.ok(await page.$eval("#downloads", (e) => (e as HTMLElement).hidden), "the last study's downloads are hidden");
    await page.evaluate(() => window.cardioseg!.app.segment());
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(segmentRequests, [], "Segment waits while the case opens");
  } finally {
    release();
    page.off("request", hold);
    await page.setRequestInterception(false);
  }
  await page.waitForFunction(() => !(document.getElementById("segment") as HTMLButtonElement).disabled, { timeout: 30_000 });
  assert.match(await page.$eval("#segment-status", (e) => e.textContent ?? ""), /2 frame/);
  await page.click("#segment");
  await page.waitForFunction(() => !(document.getElementById("dice") as HTMLElement).hidden && window.cardioseg!.app.segmenting === null, { timeout: 120_000 });
  const row = await page.$$eval("#dice tr", (rows) => rows.map((r) => Array.from(r.children).map((c) => c.textContent ?? "")));
  const ed = score.cases.find((c) => c.phase === "ED")!;
  assert.equal(row[1][0], "ED");
  const lvColumn = row[0].indexOf("LV");
  assert.ok(Math.abs(Number(row[1][lvColumn]) - (ed.dice.LV ?? NaN)) < 0.0006, `page ${row[1][lvColumn]} vs score ${ed.dice.LV}`);
  assert.match(await page.$eval("#edes-source", (e) => e.textContent ?? ""), /data set/);
  await page.screenshot({ path: join(screens, "dataset-case.png") });
});

test("the Runs page lists the toy run and draws its curves, following new log lines live", { skip }, async () => {
  await page.goto(`${server!.origin}/#/runs/toy`);
  await page.waitForFunction(() => window.cardioseg?.runs.current?.name === "toy", { timeout: 30_000 });
  await page.waitForSelector("#run-curves svg");
  assert.match(await page.$eval("#runs-list", (e) => e.textContent ?? ""), /toy/);
  const n = await page.evaluate(() => window.cardioseg!.runs.current!.log!.train.length);
  appendFileSync(join(run.runDir, "metrics.jsonl"), '{"iter":201,"loss":0.2,"lr":0.0001}\n{"iter":202,"loss":0.19,"lr":0.0001}\n');
  await page.waitForFunction((before) => window.cardioseg!.runs.current!.log!.train.length === before + 2, { timeout: 20_000 }, n);
  await page.screenshot({ path: join(screens, "runs.png") });
});

test("closing the page deletes its open study on the server", { skip }, async () => {
  assert.ok(server!.store.size >= 1);
  await page.close({ runBeforeUnload: true });
  const end = Date.now() + 10_000;
  while (server!.store.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.equal(server!.store.size, 0);
  assert.deepEqual(readdirSync(server!.store.uploadRoot), []);
});

test("no page error happened, and the server log names no file or patient", { skip }, () => {
  assert.deepEqual(serverLog.filter((l) => l.startsWith("pageerror")), []);
  const log = serverLog.join("\n");
  for (const secret of ["Doe", "Jane", "patient001", "notes.txt"]) assert.ok(!log.includes(secret), `the log mentions ${secret}`);
  assert.ok(existsSync(join(screens, "segmented.png")));
});
