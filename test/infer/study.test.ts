// Study summaries and per-study SEGs of `cardioseg predict`. A 4-frame cine is built from one
// phantom patient (frames mid, ED, mid, ES: the LV is largest in frame 1 and smallest in frame 3);
// study.json's ED/ES, volumes, EF and mass are checked against values counted by hand from the
// label maps: the phantom's own labels fed to StudyOutputs, and the tiny model's predictions
// (read back from the per-frame NIfTI files) through runPredict and the CLI. The DICOM cine
// fixture gives one multi-frame SEG per series by default, one per phase with --seg-per phase.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNifti, writeNifti } from "../../src/io/nifti/index.js";
import type { ImageVolume, LabelVolume } from "../../src/io/image.js";
import { generateCase } from "../../src/synth/phantom.js";
import { expandInput } from "../../src/infer/inputs.js";
import { runPredict } from "../../src/infer/predict.js";
import { edEs, StudyOutputs, type StudyFrameJson, type StudyJson } from "../../src/infer/study.js";
import { REPO } from "../paths.js";
import { checkSegRoundTrip, hashLabels, readNaturalized } from "../io/seg-readback.js";
import { CLI_MAIN, tinyRun, type TinyRun } from "./helpers.js";

const CINE = join(REPO, "test", "fixtures", "io", "dicom-synth", "cine");
const CLASSES = ["background", "RV", "MYO", "LV"];
const ED = 1, ES = 3;

let run: TinyRun;
let cine: { image: ImageVolume; labels: LabelVolume[] };

/** mid: the ES labels plus every other voxel the LV loses from ED to ES, so ES < mid < ED in LV volume. */
function phantomCine(): { image: ImageVolume; labels: LabelVolume[] } {
  const c = generateCase(11, 0, 48);
  const [ed, es] = c.frames;
  const mid = { ...es.labels, data: es.labels.data.map((v, i) => (ed.labels.data[i] === 3 && v !== 3 && i % 2 === 0 ? 3 : v)) };
  const labels = [mid, ed.labels, mid, es.labels];
  const images = [es.image, ed.image, es.image, es.image];
  const n = ed.image.data.length;
  const data = new Float32Array(n * 4);
  images.forEach((im, t) => data.set(im.data, t * n));
  const image = { ...ed.image, data, dims: [...ed.image.dims, 4], spacing: [...ed.image.spacing, 40] };
  return { image, labels };
}

/** A study folder holding the cine as a 4D NIfTI, and an Info.cfg when given. */
function cineFolder(name: string, info?: string): string {
  const dir = join(run.root, name);
  mkdirSync(dir, { recursive: true });
  writeNifti(join(dir, "heart_4d.nii.gz"), cine.image);
  if (info) writeFileSync(join(dir, "Info.cfg"), info);
  return join(dir, "heart_4d.nii.gz");
}

/** Volumes (mL) and indices counted by hand: voxels of a class x the voxel volume. */
function byHand(labels: readonly LabelVolume[], ed: number, es: number): { volumes: Record<string, number>[]; indices: Record<string, number | null> } {
  const volumes = labels.map((l) => {
    const ml = (l.spacing[0] * l.spacing[1] * l.spacing[2]) / 1000;
    const count = (c: number): number => l.data.reduce((n, v) => n + (v === c ? 1 : 0), 0);
    return { RV: count(1) * ml, MYO: count(2) * ml, LV: count(3) * ml };
  });
  const ef = (d: number, s: number): number | null => (d > 0 ? (100 * (d - s)) / d : null);
  const [d, s] = [volumes[ed], volumes[es]];
  return {
    volumes,
    indices: {
      lv_edv_ml: d.LV, lv_esv_ml: s.LV, lv_sv_ml: d.LV - s.LV, lv_ef_pct: ef(d.LV, s.LV),
      rv_edv_ml: d.RV, rv_esv_ml: s.RV, rv_sv_ml: d.RV - s.RV, rv_ef_pct: ef(d.RV, s.RV), myo_mass_g: 1.05 * d.MYO,
    },
  };
}

function assertClose(actual: Record<string, number | null>, expected: Record<string, number | null>, what: string): void {
  for (const [k, v] of Object.entries(expected)) {
    const a = actual[k];
    if (v === null) assert.equal(a, null, `${what}: ${k}`);
    else assert.ok(a !== null && Math.abs(a - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${what}: ${k} ${a} vs ${v}`);
  }
}

function readStudy(path: string): StudyJson {
  return JSON.parse(readFileSync(path, "utf8")) as StudyJson;
}

/** Feeds the phantom's labels as the "prediction" of every frame of `input`. */
function summarise(input: string, out: string, o: { ed?: number; es?: number } = {}): { study: StudyJson; lines: string[] } {
  const items = expandInput(input);
  const lines: string[] = [];
  const studies = new StudyOutputs(items, { out, classNames: CLASSES, seg: false, log: (l) => lines.push(l), ...o });
  items.forEach((it, t) => studies.add(it, it.load(), cine.labels[t]));
  assert.deepEqual(studies.failures, []);
  return { study: readStudy(join(out, "heart_4d", "study.json")), lines };
}

before(async () => {
  run = await tinyRun("cardioseg-study-");
  cine = phantomCine();
});

after(() => rmSync(run.root, { recursive: true, force: true }));

test("phantom cine: ED and ES are the frames of largest and smallest LV volume; indices as counted by hand", () => {
  const { study, lines } = summarise(cineFolder("plain"), join(run.root, "out-plain"));
  const hand = byHand(cine.labels, ED, ES);
  assert.equal(study.study, "heart_4d");
  assert.deepEqual([study.ed_frame, study.es_frame], [ED, ES]);
  assert.deepEqual(study.ed_es_from, { ed: "LV volume", es: "LV volume" });
  assert.deepEqual(study.frames.map((f) => f.name), ["heart_4d_t00", "heart_4d_t01", "heart_4d_t02", "heart_4d_t03"]);
  study.frames.forEach((f, t) => assertClose(f.volume_ml, hand.volumes[t], `frame ${t}`));
  assertClose(study.indices as unknown as Record<string, number | null>, hand.indices, "indices");
  assert.ok(hand.indices.lv_ef_pct! > 10 && hand.indices.myo_mass_g! > 0, "a cine that beats");
  assert.match(lines.join("\n"), /study heart_4d: 4 frames, ED 1, ES 3 \(LV volume\); LV EDV [\d.]+ mL, .* EF [\d.]+ %/);
});

test("Info.cfg beside the input names ED and ES (1-based) and wins over the volumes; --ed/--es win over both", () => {
  const input = cineFolder("acdc", "ED: 1\nES: 3\nNbFrame: 4\n");
  const fromInfo = summarise(input, join(run.root, "out-acdc")).study;
  assert.deepEqual([fromInfo.ed_frame, fromInfo.es_frame, fromInfo.ed_es_from.ed], [0, 2, "Info.cfg"]);
  assertClose(fromInfo.indices as unknown as Record<string, number | null>, byHand(cine.labels, 0, 2).indices, "Info.cfg indices");
  const user = summarise(input, join(run.root, "out-user"), { es: 3 }).study;
  assert.deepEqual([user.ed_frame, user.es_frame], [0, 3]);
  assert.deepEqual(user.ed_es_from, { ed: "Info.cfg", es: "user" });
  const wrong = summarise(cineFolder("wrong-count", "ED: 1\nES: 3\nNbFrame: 30\n"), join(run.root, "out-wrong")).study;
  assert.deepEqual([wrong.ed_frame, wrong.ed_es_from.ed], [ED, "LV volume"]);
  assert.match(wrong.notes.join("\n"), /30 frames, the input has 4: not used/);
});

test("ED/ES choice: ties go to the first frame, --ed outside the cine is refused, no LV class gives null", () => {
  const frames = (lv: number[]): StudyFrameJson[] => lv.map((v, t) => ({ frame: t, name: `f${t}`, trigger_time_ms: null, volume_ml: { LV: v } }));
  assert.deepEqual(edEs(frames([5, 9, 9, 2, 2]), "/nonexistent/x.nii.gz", {}, []), { ed: 1, es: 3, edFrom: "LV volume", esFrom: "LV volume" });
  assert.throws(() => edEs(frames([1, 2]), "/nonexistent/x.nii.gz", { ed: 2 }, []), /--ed 2 is not a frame of this cine \(0\.\.1\)/);
  const notes: string[] = [];
  const none = edEs([{ frame: 0, name: "a", trigger_time_ms: null, volume_ml: { MYO: 1 } }, { frame: 1, name: "b", trigger_time_ms: null, volume_ml: { MYO: 2 } }], "/nonexistent/x", {}, notes);
  assert.deepEqual([none.ed, none.es], [null, null]);
  assert.match(notes[0], /no LV class/);
});

test("predict on a 4D NIfTI writes study.json beside the per-frame outputs, from the predicted label maps", async () => {
  const input = cineFolder("predict", "ED: 2\nES: 4\nNbFrame: 4\n");
  const out = join(run.root, "pred");
  const lines: string[] = [];
  const s = await runPredict({ model: run.runDir, inputs: [input], out, formats: ["nifti"], log: (l) => lines.push(l) });
  assert.deepEqual(s.failures, []);
  const study = readStudy(join(out, "heart_4d", "study.json"));
  const predicted = [0, 1, 2, 3].map((t) => readNifti(join(out, `heart_4d_t0${t}`, `heart_4d_t0${t}_pred.nii.gz`)) as LabelVolume);
  const hand = byHand(predicted, 1, 3);
  assert.deepEqual([study.ed_frame, study.es_frame, study.ed_es_from.ed], [1, 3, "Info.cfg"]);
  study.frames.forEach((f, t) => assertClose(f.volume_ml, hand.volumes[t], `predicted frame ${t}`));
  assertClose(study.indices as unknown as Record<string, number | null>, hand.indices, "predicted indices");
  assert.deepEqual(s.studies.map((x) => x.study), ["heart_4d"]);
  assert.ok(lines.some((l) => /^study heart_4d: 4 frames, ED 1, ES 3 \(Info\.cfg\)/.test(l)), lines.join("\n"));
});

test("a DICOM cine gets one SEG per series for all its phases by default, on the right images", () => {
  const out = join(run.root, "seg-study");
  const items = expandInput(CINE);
  const studies = new StudyOutputs(items, { out, classNames: CLASSES, seg: "study", log: () => undefined });
  const files = items.flatMap((it) => {
    const image = it.load();
    return studies.add(it, image, hashLabels(image));
  });
  assert.deepEqual(files.map((f) => f.slice(out.length + 1)).sort(), ["cine/seg_series1.dcm", "cine/seg_series2.dcm", "cine/study.json"]);
  const sources = items.filter((it) => it.cine?.label === "series1").flatMap((it) => String(it.load().meta.files).split("|"));
  assert.equal(checkSegRoundTrip(join(out, "cine", "seg_series1.dcm"), sources), 3 * 2 * 3);
  assert.equal(readStudy(join(out, "cine", "study.json")).seg, "seg_series1.dcm");
});

test("predict --seg-per phase keeps one SEG per phase; the default writes the study's", async () => {
  const study = join(run.root, "pred-dicom-study"), phase = join(run.root, "pred-dicom-phase");
  const a = await runPredict({ model: run.runDir, inputs: [CINE], out: study, formats: ["seg"], log: () => undefined });
  const b = await runPredict({ model: run.runDir, inputs: [CINE], out: phase, formats: ["seg"], segPer: "phase", log: () => undefined });
  assert.deepEqual([a.failures, b.failures], [[], []]);
  assert.equal(a.seg_per, "study");
  assert.ok(existsSync(join(study, "cine", "seg_series1.dcm")) && existsSync(join(study, "cine", "seg_series2.dcm")));
  assert.ok(a.outputs.every((o) => !existsSync(join(study, o.name, "seg.dcm"))), "no per-phase SEG by default");
  assert.equal(readNaturalized(join(study, "cine", "seg_series1.dcm")).NumberOfFrames, 3 * 2 * 3);
  assert.deepEqual(b.outputs.map((o) => existsSync(join(phase, o.name, "seg.dcm"))), b.outputs.map(() => true));
  assert.ok(!existsSync(join(phase, "cine", "seg_series1.dcm")));
  assert.ok(existsSync(join(phase, "cine", "study.json")), "the summary does not depend on the SEG mode");
});

test("the CLI takes --ed/--es and --seg-per, and refuses bad values", () => {
  const input = cineFolder("cli");
  const out = join(run.root, "cli-out");
  const ok = spawnSync(process.execPath, [CLI_MAIN, "predict", "--model", run.runDir, "--out", out, "--format", "nifti", "--ed", "2", "--es", "0", input], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  const study = readStudy(join(out, "heart_4d", "study.json"));
  assert.deepEqual([study.ed_frame, study.es_frame, study.ed_es_from.ed, study.ed_es_from.es], [2, 0, "user", "user"]);
  assert.match(ok.stderr, /study heart_4d: 4 frames, ED 2, ES 0 \(user\)/);
  for (const [flag, value, message] of [["--seg-per", "series", /--seg-per must be "study" or "phase"/], ["--ed", "-1", /--ed must be a frame number/]] as const) {
    const r = spawnSync(process.execPath, [CLI_MAIN, "predict", "--model", run.runDir, "--out", out, flag, value, input], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, message);
  }
  const far = spawnSync(process.execPath, [CLI_MAIN, "predict", "--model", run.runDir, "--out", join(run.root, "cli-far"), "--format", "nifti", "--es", "7", input], { encoding: "utf8" });
  assert.equal(far.status, 1, "a study that cannot be summarised is a failure");
  assert.match(far.stdout + far.stderr, /--es 7 is not a frame of this cine \(0\.\.3\)/);
});
