// The server's HTTP contract and its security, without a model or a browser: request paths stay
// inside --runs/--data (symlinks too), a token guards every request when set, DNS-rebinding and
// cross-origin writes are refused, bad uploads get a clear 400/413 and the server keeps serving,
// uploads live in private folders deleted on close or expiry, DICOM inputs download as NIfTI,
// SEG (all phases of a cine in one multi-frame SEG) and contours, the model folder for the
// in-browser engine answers 404 without a model, runs are listed and their logs stream, and the
// log names no file or patient.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import dicomParser from "dicom-parser";
import { unzipSync } from "fflate";
import { decodeNifti } from "../../src/io/nifti/index.js";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import { DEFAULT_LIMITS, isLoopbackHost, resolveServeOptions, type ServeOptions } from "../../src/serve/options.js";
import { resolveInside } from "../../src/serve/paths.js";
import { StudyStore, type StudyInfo } from "../../src/serve/studies.js";
import { safeFileName, scrubPaths } from "../../src/serve/api-studies.js";
import { studyFromUpload } from "../../src/serve/uploads.js";
import { checkSegRoundTrip, hashLabels } from "../io/seg-readback.js";
import { http, hugeClaimNifti } from "./helpers.js";

const CINE = fileURLToPath(new URL("../../../test/fixtures/io/dicom-synth/cine", import.meta.url));

let root: string, dataDir: string, runsDir: string, outsideDir: string;
let server: RunningServer;
const logLines: string[] = [];

function options(extra: Partial<ServeOptions> = {}): ServeOptions {
  // model: undefined: this file tests the server without a model, even where the shipped one is installed.
  return { ...resolveServeOptions({ port: 0, data: dataDir, runs: runsDir }), model: undefined, ...extra };
}

function form(files: { name: string; body: Uint8Array | string }[], name = ""): FormData {
  const f = new FormData();
  if (name) f.append("name", name);
  for (const file of files) f.append("files", new Blob([file.body as BlobPart]), file.name);
  return f;
}

async function upload(files: { name: string; body: Uint8Array | string }[], base = server.origin, name = ""): Promise<{ status: number; body: StudyInfo & { error?: string } }> {
  const res = await fetch(`${base}/api/studies`, { method: "POST", body: form(files, name) });
  return { status: res.status, body: (await res.json()) as StudyInfo & { error?: string } };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), "cardioseg-serve-http-"));
  dataDir = join(root, "data");
  runsDir = join(root, "runs");
  outsideDir = join(root, "outside");
  writeSynthDataset({ out: dataDir, cases: 2, seed: 7, size: 32, preview: false });
  const run = join(runsDir, "run1");
  mkdirSync(join(run, "eval", "cases"), { recursive: true });
  writeFileSync(join(run, "metrics.jsonl"), '{"iter":1,"loss":2.5,"lr":0.01}\n{"iter":2,"loss":2.0,"lr":0.01}\n{"iter":2,"val":{"mean_dice":0.4}}\n');
  writeFileSync(join(run, "report.html"), "<!DOCTYPE html><title>report</title><p>ok</p>");
  // An evaluation of three cases, two with overlays: best and worst are ranked as report.html ranks them.
  // (A whole score file: the reader checks it against the score JSON's schema.)
  const none = { RV: null, MYO: null, LV: null };
  const scored = (id: string, lv: number) => ({
    id, phase: "ED", subject: id, dice: { RV: lv, MYO: lv, LV: lv }, hd95_mm: none, assd_mm: none, volume_ml: none, volume_ml_gt: none,
  });
  writeFileSync(join(run, "eval", "scores.json"), JSON.stringify({
    classes: ["background", "RV", "MYO", "LV"], overall_acc: 0.9, mean_acc: 0.9, freqw_iou: 0.9, mean_iou: 0.7, mean_dice: 0.8,
    per_class: { LV: { dice: 0.8, iou: 0.7, acc: 0.9 } },
    cases: [scored("good", 0.95), scored("mid", 0.8), scored("bad", 0.4)], summary: {}, clinical: null, skipped: [],
  }));
  for (const id of ["good", "bad"]) for (const kind of ["pred", "gt"]) writeFileSync(join(run, "eval", "cases", `${id}_${kind}.png`), "PNG");
  mkdirSync(outsideDir);
  writeFileSync(join(outsideDir, "secret.png"), "SECRET-OUTSIDE");
  writeFileSync(join(outsideDir, "metrics.jsonl"), '{"iter":1,"loss":1}\n');
  symlinkSync(join(outsideDir, "secret.png"), join(run, "eval", "cases", "leak_pred.png"));
  symlinkSync(outsideDir, join(runsDir, "linked"));
  server = await startServer(options(), (l) => logLines.push(l));
});

after(async () => {
  await server?.close();
});

test("the page and the API answer on loopback, with a strict CSP and cross-origin isolation", async () => {
  const page = await http(`${server.origin}/`);
  assert.equal(page.status, 200);
  assert.match(page.text, /<canvas id="gl">/);
  assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
  assert.equal(page.headers.get("cross-origin-embedder-policy"), "require-corp");
  const info = JSON.parse((await http(`${server.origin}/api/info`)).text) as { model: unknown; engines: { server: boolean; browser: string } };
  assert.equal(info.model, null);
  assert.equal(info.engines.server, false);
  assert.match(info.engines.browser, /no model loaded/);
  const model = await http(`${server.origin}/model/manifest.json`);
  assert.equal(model.status, 404);
  assert.match(model.text, /no model loaded/);
  assert.equal((await http(`${server.origin}/model/../package.json`)).status, 404);
  assert.equal((await http(`${server.origin}/api/info`)).headers.get("cache-control"), "no-store");
});

test("no request path leaves --runs or --data: traversal and symbolic links get 403/404", async () => {
  const attempts = [
    "/api/runs/..%2F..%2F..%2Fetc%2Fpasswd", "/api/runs/run1/files/..%2F..%2F..%2Fetc%2Fpasswd", "/api/runs/run1/files/../../outside/secret.png",
    "/api/runs/run1/files/%2Fetc%2Fpasswd", "/api/runs/run1/files/eval/cases/leak_pred.png", "/api/runs/linked", "/api/runs/linked/files/secret.png",
    "/..%2F..%2Fpackage.json", "/%2e%2e/%2e%2e/package.json", "/api/runs/run1/files/eval%5C..%5C..%5Coutside%5Csecret.png",
  ];
  for (const path of attempts) {
    const r = await http(`${server.origin}${path}`);
    assert.ok(r.status === 403 || r.status === 404, `${path} answered ${r.status}`);
    assert.ok(!r.text.includes("SECRET-OUTSIDE") && !r.text.includes("root:") && !r.text.includes('"name": "cardioseg"'), `${path} leaked`);
  }
  assert.equal((await http(`${server.origin}/api/runs/run1/files/eval/cases/leak_pred.png`)).status, 403, "a symlink out of the run is refused");
  const names = (JSON.parse((await http(`${server.origin}/api/runs`)).text) as { runs: { name: string }[] }).runs.map((r) => r.name);
  assert.deepEqual(names, ["run1"], "a symlinked run folder outside --runs is not a run");
});

test("resolveInside: the containment rule itself", () => {
  const runs = join(root, "runs");
  assert.equal(resolveInside(runs, "run1/metrics.jsonl").ok, true);
  assert.deepEqual(resolveInside(runs, "../outside/secret.png"), { ok: false, reason: "outside" });
  assert.deepEqual(resolveInside(runs, "/etc/passwd"), { ok: false, reason: "outside" });
  assert.deepEqual(resolveInside(runs, "run1/eval/cases/leak_pred.png"), { ok: false, reason: "outside" });
  assert.deepEqual(resolveInside(runs, "linked/secret.png"), { ok: false, reason: "outside" });
  assert.deepEqual(resolveInside(runs, "run1/nothing.png"), { ok: false, reason: "missing" });
  assert.deepEqual(resolveInside(runs, "run1\0/x"), { ok: false, reason: "outside" });
});

test("hosts beyond loopback need a token; one is generated when none is given", () => {
  for (const h of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"]) assert.ok(isLoopbackHost(h), h);
  for (const h of ["0.0.0.0", "::", "192.168.1.10", "example.org", "128.0.0.1"]) assert.ok(!isLoopbackHost(h), h);
  assert.equal(resolveServeOptions({ host: "127.0.0.1" }).token, undefined);
  const open = resolveServeOptions({ host: "0.0.0.0" });
  assert.ok(open.token && open.token.length >= 24, "a token is generated beyond loopback");
  assert.equal(resolveServeOptions({ host: "0.0.0.0", token: "given-token-1" }).token, "given-token-1");
  assert.throws(() => resolveServeOptions({ token: "short" }), /at least 8/);
  assert.throws(() => resolveServeOptions({ tlsCert: "x.pem" }), /go together/);
  assert.throws(() => resolveServeOptions({ maxFiles: "0" }), /--max-files/);
});

test("with a token every request without it gets 401; the printed ?token= URL trades it for a cookie", async () => {
  const guarded = await startServer(options({ token: "s3cret-token-for-tests" }), () => undefined);
  try {
    assert.match(guarded.url, /\?token=s3cret-token-for-tests$/);
    for (const path of ["/", "/api/info", "/api/runs", "/api/data", "/app.js"]) {
      assert.equal((await http(`${guarded.origin}${path}`)).status, 401, path);
    }
    assert.equal((await http(`${guarded.origin}/api/info`, { headers: { authorization: "Bearer wrong-token-xyz" } })).status, 401);
    assert.equal((await http(`${guarded.origin}/api/info`, { headers: { authorization: "Bearer s3cret-token-for-tests" } })).status, 200);
    assert.equal((await http(`${guarded.origin}/?token=wrong-token-xyz`)).status, 401);
    const swap = await http(guarded.url);
    assert.equal(swap.status, 303);
    assert.equal(swap.headers.get("location"), "/");
    const cookie = swap.headers.get("set-cookie") ?? "";
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await http(`${guarded.origin}/`, { headers: { cookie: cookie.split(";")[0] } });
    assert.equal(page.status, 200);
    assert.match(page.text, /cardioseg/);
  } finally {
    await guarded.close();
  }
});

test("DNS-rebinding hosts and cross-origin writes are refused", async () => {
  const port = new URL(server.origin).port;
  // fetch() may not set Host; node:http can, as a browser would send a rebound name.
  const status = await new Promise<number>((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/api/info", headers: { host: `evil.example:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject).end();
  });
  assert.equal(status, 403);
  const cross = await fetch(`${server.origin}/api/data/open`, {
    method: "POST", headers: { origin: "http://evil.example", "content-type": "application/json" }, body: '{"cases":[0]}',
  });
  assert.equal(cross.status, 403);
});

test("bad uploads answer with a clear message naming the file, and the server keeps serving", async () => {
  const notImage = await upload([{ name: "notes.txt", body: "these are my notes, not an image" }]);
  assert.equal(notImage.status, 400);
  assert.match(notImage.body.error ?? "", /notes\.txt/);
  assert.match(notImage.body.error ?? "", /DICOM/);
  const dicom = readFileSync(join(CINE, "a0.dcm"));
  const truncated = await upload([{ name: "a0.dcm", body: dicom.subarray(0, Math.floor(dicom.length * 0.6)) }]);
  assert.equal(truncated.status, 400);
  assert.match(truncated.body.error ?? "", /a0\.dcm: .*(truncat|short|end|missing|bytes)/i);
  assert.ok(!(truncated.body.error ?? "").includes(tmpdir()), "no server path in the message");
  const huge = await upload([{ name: "claims4gb.nii", body: hugeClaimNifti([1024, 1024, 1024]) }]);
  assert.equal(huge.status, 400);
  assert.match(huge.body.error ?? "", /claims4gb\.nii: .*(limit|claims|truncated)/);
  const gtOnly = await upload([{ name: "x_gt.nii", body: hugeClaimNifti([2, 2, 2]) }]);
  assert.equal(gtOnly.status, 400);
  assert.match(gtOnly.body.error ?? "", /only label files/);
  assert.equal((await http(`${server.origin}/api/info`)).status, 200);
  assert.deepEqual(readdirSync(server.store.uploadRoot), [], "failed uploads leave no files behind");
});

test("upload limits: too many files or too many bytes answer 413", async () => {
  const small = await startServer(options({ limits: { ...DEFAULT_LIMITS, maxFiles: 3, maxUploadBytes: 64 * 1024 } }), () => undefined);
  try {
    const many = await upload([1, 2, 3, 4, 5].map((i) => ({ name: `f${i}.dcm`, body: "x" })), small.origin);
    assert.equal(many.status, 413);
    assert.match(many.body.error ?? "", /more than 3 files/);
    const big = await upload([{ name: "big.nii", body: new Uint8Array(200 * 1024) }], small.origin);
    assert.equal(big.status, 413);
    assert.match(big.body.error ?? "", /MB limit/);
    assert.equal((await http(`${small.origin}/api/info`)).status, 200);
    assert.deepEqual(readdirSync(small.store.uploadRoot), []);
  } finally {
    await small.close();
  }
});

test("a DICOM series opens as a cine; its labels download as NIfTI, DICOM SEG and contours", async () => {
  const files = readdirSync(CINE).sort().map((name) => ({ name, body: readFileSync(join(CINE, name)) }));
  const { status, body: study } = await upload(files, server.origin, "Doe_Jane_cine");
  assert.equal(status, 200, JSON.stringify(study));
  assert.equal(study.source, "dicom");
  assert.ok(study.frames.length >= 2, `cine phases as frames: ${study.frames.join(",")}`);
  const dir = join(server.store.uploadRoot, readdirSync(server.store.uploadRoot)[0]);
  assert.equal(statSync(dir).mode & 0o777, 0o700, "the upload folder is private");
  assert.equal(statSync(server.store.uploadRoot).mode & 0o777, 0o700);
  const [nx, ny, nz] = study.dims;
  const labels = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) labels.fill(3, k * nx * ny + nx + 1, k * nx * ny + nx + 3);
  for (let t = 0; t < study.frames.length; t++) {
    const put = await fetch(`${server.origin}/api/studies/${study.id}/labels/${t}`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: labels });
    assert.equal(put.status, 200);
  }
  const bad = await fetch(`${server.origin}/api/studies/${study.id}/labels/0`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(3) });
  assert.equal(bad.status, 400);
  const nifti = await fetch(`${server.origin}/api/studies/${study.id}/download/labels.nii.gz?frame=1`);
  assert.equal(nifti.status, 200);
  assert.match(nifti.headers.get("content-disposition") ?? "", /attachment; filename="Doe_Jane_cine_phase_01_pred\.nii\.gz"/);
  const vol = decodeNifti(new Uint8Array(await nifti.arrayBuffer()), "download");
  assert.deepEqual(vol.dims, [nx, ny, nz]);
  assert.deepEqual([...vol.data], [...labels]);
  const seg = await fetch(`${server.origin}/api/studies/${study.id}/download/seg?frame=0`);
  assert.equal(seg.status, 200);
  const ds = dicomParser.parseDicom(new Uint8Array(await seg.arrayBuffer()));
  assert.equal(ds.string("x00080060"), "SEG");
  // All frames: one multi-frame SEG of the study (decisions.md), each frame of it the mask of the
  // image it references (labels made from each image's own pixel values, so a frame on the wrong
  // slice or phase cannot match).
  const reference = studyFromUpload(files.map((f) => ({ name: f.name, path: join(CINE, f.name) })), "reference");
  for (const [t, frame] of reference.frames.entries()) {
    const body = hashLabels(frame).data as Uint8Array<ArrayBuffer>;
    const put = await fetch(`${server.origin}/api/studies/${study.id}/labels/${t}`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body });
    assert.equal(put.status, 200);
  }
  const whole = await fetch(`${server.origin}/api/studies/${study.id}/download/seg`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("content-type"), "application/dicom");
  assert.match(whole.headers.get("content-disposition") ?? "", /filename="Doe_Jane_cine_seg\.dcm"/);
  const segPath = join(root, "study-seg.dcm");
  writeFileSync(segPath, new Uint8Array(await whole.arrayBuffer()));
  const sources = reference.frames.flatMap((f) => String(f.meta.files ?? f.meta.file).split("|"));
  assert.equal(sources.length, study.frames.length * nz);
  assert.equal(checkSegRoundTrip(segPath, sources), 3 * sources.length, "3 segments x every image of every phase");
  const contours = await fetch(`${server.origin}/api/studies/${study.id}/download/contours.zip`);
  assert.equal(contours.status, 200);
  const names = Object.keys(unzipSync(new Uint8Array(await contours.arrayBuffer())));
  assert.ok(names.some((n) => /icontour-manual\.txt$/.test(n)), names.join(","));
  assert.equal((await fetch(`${server.origin}/api/studies/${study.id}/segment`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status, 503);
  assert.equal((await fetch(`${server.origin}/api/studies/${study.id}/close`, { method: "POST" })).status, 200);
  assert.ok(!existsSync(dir), "closing the study deletes its uploaded files");
  assert.equal((await http(`${server.origin}/api/studies/${study.id}`)).status, 404);
});

test("a study unused past its time to live is deleted with its files", () => {
  let now = 1000;
  const store = new StudyStore({ ...DEFAULT_LIMITS, studyTtlMs: 60_000 }, () => now);
  try {
    const dir = store.newUploadDir();
    writeFileSync(join(dir, "x"), "x");
    const frame = { data: new Float32Array(8), dims: [2, 2, 2], spacing: [1, 1, 1], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], meta: {} };
    const s = store.add({ name: "n", source: "nifti", frames: [frame], frameNames: ["t00"], truth: [undefined], warnings: [] }, dir);
    now += 30_000;
    store.sweep();
    assert.ok(store.get(s.id), "still used within the TTL");
    now += 61_000;
    store.sweep();
    assert.equal(store.get(s.id), undefined);
    assert.ok(!existsSync(dir));
  } finally {
    store.dispose();
  }
  assert.ok(!existsSync(store.uploadRoot));
});

test("an ACDC patient folder opens with ED/ES from its Info.cfg and the _gt files as truth", async () => {
  const dir = join(dataDir, "patient002");
  const files = readdirSync(dir).map((name) => ({ name, body: readFileSync(join(dir, name)) }));
  const { status, body: study } = await upload(files, server.origin, "patient002");
  assert.equal(status, 200, JSON.stringify(study));
  assert.deepEqual(study.frames, ["ED", "ES"]);
  assert.equal(study.edEs?.from, "Info.cfg");
  assert.deepEqual(study.hasTruth, [true, true]);
  assert.equal(study.name, "patient002");
  await fetch(`${server.origin}/api/studies/${study.id}`, { method: "DELETE" });
});

test("data-set cases are listed with patient and phase and open by index with their truth", async () => {
  const list = JSON.parse((await http(`${server.origin}/api/data`)).text) as { kind: string; cases: { index: number; patient: string; phase: string; labelled: boolean }[] };
  assert.equal(list.kind, "acdc");
  assert.deepEqual(list.cases.slice(0, 2).map((c) => [c.patient, c.phase, c.labelled]), [["patient001", "ED", true], ["patient001", "ES", true]]);
  const res = await fetch(`${server.origin}/api/data/open`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"cases":[0,1]}' });
  const study = (await res.json()) as StudyInfo;
  assert.deepEqual(study.frames, ["ED", "ES"]);
  assert.deepEqual(study.edEs, { ed: 0, es: 1, from: "data set" });
  assert.deepEqual(study.hasTruth, [true, true]);
  const truth = await fetch(`${server.origin}/api/studies/${study.id}/truth/1`);
  assert.equal((await truth.arrayBuffer()).byteLength, study.dims[0] * study.dims[1] * study.dims[2]);
  const bad = await fetch(`${server.origin}/api/data/open`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"cases":[99]}' });
  assert.equal(bad.status, 400);
});

test("runs: the list, one run's detail, its log lines as they are written, its report", async () => {
  const list = JSON.parse((await http(`${server.origin}/api/runs`)).text) as { runs: { name: string; lastIter: number; bestValDice: number; hasReport: boolean }[] };
  assert.deepEqual(list.runs.map((r) => [r.name, r.lastIter, r.bestValDice, r.hasReport]), [["run1", 2, 0.4, true]]);
  const detail = JSON.parse((await http(`${server.origin}/api/runs/run1`)).text) as {
    log: { train: unknown[] }; logBytes: number; best: { id: string; pred: string | null }[]; worst: { id: string; gt: string | null }[];
  };
  assert.equal(detail.log.train.length, 2);
  assert.deepEqual(detail.best.map((c) => c.id), ["good", "mid"]);
  assert.deepEqual(detail.worst.map((c) => c.id), ["bad"]);
  assert.equal(detail.best[0].pred, "eval/cases/good_pred.png");
  assert.equal(detail.best[1].pred, null, "a case without an overlay says so");
  const overlay = await http(`${server.origin}/api/runs/run1/files/${detail.worst[0].gt}`);
  assert.equal(overlay.status, 200);
  assert.equal(overlay.headers.get("content-type"), "image/png");
  const controller = new AbortController();
  const res = await fetch(`${server.origin}/api/runs/run1/events?from=${detail.logBytes}`, { signal: controller.signal });
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  appendFileSync(join(runsDir, "run1", "metrics.jsonl"), '{"iter":3,"loss":1.5,"lr":0.01}\n{"iter":4,"lo');
  let text = "";
  while (!text.includes("data: ")) text += (await reader.read()).value ?? "";
  controller.abort();
  const event = JSON.parse(text.slice(text.indexOf("data: ") + 6).split("\n")[0]) as { train: { iter: number }[] };
  assert.deepEqual(event.train.map((p) => p.iter), [3], "only complete new lines are sent");
  const report = await http(`${server.origin}/api/runs/run1/files/report.html`);
  assert.equal(report.status, 200);
  assert.match(report.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert.equal((await http(`${server.origin}/api/runs/run1/files/metrics.jsonl`)).status, 200);
});

test("upload names are reduced to safe base names; reader messages lose the private folder", () => {
  assert.equal(safeFileName("../../etc/passwd"), "passwd");
  assert.equal(safeFileName("C:\\x\\..\\evil.dcm"), "evil.dcm");
  assert.equal(safeFileName(".."), "_");
  assert.equal(safeFileName("a b<script>.nii.gz"), "a b_script_.nii.gz");
  assert.equal(scrubPaths("/tmp/up/study-1/00003/a.dcm: truncated (x /tmp/up/study-1/00004/b.dcm)", "/tmp/up/study-1"), "a.dcm: truncated (x b.dcm)");
});

test("the server log names routes and statuses, never files, patients or study ids", () => {
  const log = logLines.join("\n");
  assert.match(log, /POST \/api\/studies 400/);
  assert.match(log, /GET \/api\/studies\/:id\/download\/seg 200/);
  for (const secret of ["Doe", "Jane", "notes.txt", "a0.dcm", "patient001", "patient002", "Info.cfg", "Synthetic", "SYNTH001", "claims4gb", "passwd", "secret"]) {
    assert.ok(!log.includes(secret), `the log mentions ${secret}`);
  }
});
