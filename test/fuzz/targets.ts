// targets.ts — what the fuzzer runs: each target turns generated cases (inputs.ts) into a folder on
// disk, runs a reader or a whole command on it in-process, and checks the answer when there is
// one (the oracle: sound geometry, finite rescaled pixels, no patient mixing, no average over a
// subset, re-readable outputs…). A thrown error is judged by the harness (classify in run.ts).
import fc from "fast-check";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { readNifti } from "../../src/io/nifti/index.js";
import { loadDicomSeries, readDicomFile } from "../../src/io/dicom/index.js";
import { geometryProblem, type ImageVolume } from "../../src/io/image.js";
import { convertInput } from "../../src/io/convert.js";
import { rasterizeContourFile } from "../../src/io/contours.js";
import { encodePngRgba } from "../../src/io/png.js";
import { expandInput } from "../../src/infer/inputs.js";
import { scoreFolders } from "../../src/eval/score-folders.js";
import { ACDC_CLASSES, scoreCases } from "../../src/eval/score.js";
import { writeRunReport } from "../../src/report/build.js";
import { resolveResumePath } from "../../src/train/checkpoint.js";
import { loadConfigFile } from "../../src/train/config.js";
import { REPO } from "../paths.js";
import { walkFiles } from "../../src/util/walk.js";
import {
  contourRecipe, contourText, dicomFrom, dicomRecipe, enc, infoCfgText, jsonValue, metricsLine, mutate, niftiFrom, niftiRecipe,
  safetensorsBytes, sealedSidecar, setAtPath, type DicomRecipe, type Entry, type FuzzCase,
} from "./inputs.js";

export interface TargetResult {
  /** Bytes a correct run legitimately holds (inputs read + outputs made), for the memory check. */
  legitBytes: number;
  /** Oracle violations: a silently wrong answer. */
  wrong: string[];
}

export interface FuzzTarget {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<FuzzCase>;
  run(dir: string): TargetResult;
}

/** Writes a case into `dir` (files, dangling links, empty folders). */
export function materialise(dir: string, c: FuzzCase): void {
  for (const [rel, entry] of Object.entries(c)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (entry instanceof Uint8Array) writeFileSync(p, entry);
    else if ("link" in entry) symlinkSync(join(dir, entry.link), p);
    else mkdirSync(p, { recursive: true });
  }
}

function sizeOf(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else total += st.size;
    }
  };
  walk(dir);
  return total;
}

/** Oracle for any volume a reader returns. */
function volumeWrong(v: ImageVolume, what: string, integerSource: boolean): string[] {
  const out: string[] = [];
  const g = geometryProblem(v);
  if (g) out.push(`${what}: returned a volume with ${g}`);
  if (integerSource) {
    for (let i = 0; i < v.data.length; i++) {
      if (!Number.isFinite(v.data[i])) { out.push(`${what}: voxel ${i} is ${v.data[i]} from integer pixels`); break; }
    }
  }
  return out;
}

const single = (name: string, bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<FuzzCase> => bytes.map((b) => ({ [name]: b }));

// ---------------------------------------------------------------- readers

const nifti: FuzzTarget = {
  name: "nifti",
  arbitrary: fc.tuple(niftiRecipe, fc.boolean()).map(([r, gzName]) => ({ [gzName || r.wrap !== "none" ? "img.nii.gz" : "img.nii"]: niftiFrom(r) })),
  run(dir) {
    const file = readdirSync(dir)[0];
    const v = readNifti(join(dir, file));
    return { legitBytes: sizeOf(dir) + v.data.byteLength, wrong: volumeWrong(v, file, false) };
  },
};

const dicom: FuzzTarget = {
  name: "dicom",
  arbitrary: single("x.dcm", dicomRecipe.map(dicomFrom)),
  run(dir) {
    const v = readDicomFile(join(dir, "x.dcm"));
    return { legitBytes: sizeOf(dir) + v.data.byteLength, wrong: volumeWrong(v, "x.dcm", true) };
  },
};

/** A folder of slices of up to two patients/series, plus junk: a text file, a dangling link, deep folders. */
const dicomFolderCase: fc.Arbitrary<FuzzCase> = fc.record({
  slices: fc.array(dicomRecipe, { minLength: 1, maxLength: 6 }),
  clean: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  junk: fc.boolean(),
  dangling: fc.boolean(),
  depth: fc.constantFrom(0, 0, 3, 20),
}).map(({ slices, clean, junk, dangling, depth }) => {
  const out: FuzzCase = {};
  slices.forEach((r, k) => {
    // Most slices keep valid geometry and stack along z, so that series really form.
    const spec = clean[k] ? { ...r.spec, rows: 4, cols: 5, pixelSpacing: "0.7\\0.8", orientation: "1\\0\\0\\0\\1\\0", position: `0\\0\\${5 * k}`, slope: undefined, transferSyntax: r.spec.transferSyntax, trailingPadding: 0 } : r.spec;
    const rec: DicomRecipe = clean[k] ? { spec, extra: [], bytes: [] } : { ...r, spec };
    out[`in/s${k}.dcm`] = dicomFrom({ ...rec, spec: { ...rec.spec, sopUid: `1.2.9.${k}` } });
  });
  if (junk) out["in/readme.txt"] = enc("not DICOM\n");
  if (dangling) out["in/gone.dcm"] = { link: "in/nowhere.dcm" };
  if (depth > 0) out[`in/${Array.from({ length: depth }, (_, i) => `d${i}`).join("/")}/deep.dcm`] = dicomFrom({ spec: {}, extra: [], bytes: [] });
  return out;
});

/** Patient, study and series of each generated slice file, read back from the file itself. */
function identities(dir: string): Map<string, string> {
  const ids = new Map<string, string>();
  for (const file of walkFiles(join(dir, "in"), { maxDepth: 64 }).files) {
    try {
      const v = readDicomFile(file);
      ids.set(file, `${v.meta.patientId}|${v.meta.studyInstanceUID}|${v.meta.seriesInstanceUID}`);
    } catch { /* unreadable alone: cannot be in a volume either */ }
  }
  return ids;
}

const dicomFolder: FuzzTarget = {
  name: "dicom-folder",
  arbitrary: dicomFolderCase,
  run(dir) {
    const vols = loadDicomSeries(join(dir, "in"), { onError: () => undefined, onWarning: () => undefined });
    const ids = identities(dir);
    const wrong: string[] = [];
    let bytes = 0;
    for (const v of vols) {
      bytes += v.data.byteLength;
      wrong.push(...volumeWrong(v, String(v.meta.file), true));
      const files = String(v.meta.files ?? v.meta.file).split("|");
      const who = new Set(files.map((f) => ids.get(f) ?? "?"));
      if (who.size > 1) wrong.push(`one volume mixes ${[...who].join(" and ")}`);
    }
    return { legitBytes: sizeOf(dir) + bytes, wrong };
  },
};

const contour: FuzzTarget = {
  name: "contour",
  arbitrary: single("c.txt", contourRecipe.map((r) => enc(contourText(r)))),
  run(dir) {
    const mask = rasterizeContourFile(join(dir, "c.txt"), 256, 256);
    return { legitBytes: sizeOf(dir) * 8 + mask.byteLength, wrong: [] };
  },
};

// ---------------------------------------------------------------- commands

const pngBytes = fc.record({ w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 40 }), m: fc.array(fc.record({ kind: fc.constant("flip" as const), at: fc.double({ min: 0, max: 0.999, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }), { maxLength: 2 }) })
  .map(({ w, h, m }) => mutate(encodePngRgba({ width: w, height: h, rgba: new Uint8Array(w * h * 4).map((_, i) => (i * 7) & 255) }), m, 64));

/** ACDC, generic or DICOM folders (Sunnybrook needs its contour layout: see the sunnybrook case). */
const convertCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.record({ info: infoCfgText, image: niftiRecipe, label: niftiRecipe, es: niftiRecipe }).map(({ info, image, label, es }): FuzzCase => ({
    "in/patient001/Info.cfg": enc(info.replace(/ED: \d+/, "ED: 1").includes("ES") ? info : "ED: 1\nES: 2\n"),
    "in/patient001/patient001_frame01.nii.gz": niftiFrom({ ...image, labels: false }),
    "in/patient001/patient001_frame01_gt.nii.gz": niftiFrom({ ...label, dims: image.dims, labels: true }),
    "in/patient001/patient001_frame02.nii.gz": niftiFrom({ ...es, labels: false }),
  })),
  fc.record({ a: niftiRecipe, b: niftiRecipe, png: pngBytes }).map(({ a, b, png }): FuzzCase => ({
    "in/x.nii.gz": niftiFrom({ ...a, labels: false }),
    "in/x_gt.nii.gz": niftiFrom({ ...b, dims: a.dims, labels: true, wrap: "gzip" }),
    "in/y.png": png,
  })),
  dicomFolderCase,
  fc.record({ d: dicomRecipe, inner: contourRecipe, link: fc.constantFrom("patient_id,original_id\nP1,O1\n", "a,b\n", "patient_id,original_id\n../x,O1\n", "") })
    .map(({ d, inner, link }): FuzzCase => ({
      "in/link.csv": enc(link),
      "in/dicoms/P1/7.dcm": dicomFrom({ ...d, spec: { ...d.spec, rows: 64, cols: 64, pixelSpacing: d.spec.pixelSpacing } }),
      "in/contourfiles/O1/i-contours/IM-0001-0007-icontour-manual.txt": enc(contourText({ ...inner, radius: Math.min(inner.radius, 30) })),
      "in/contourfiles/O1/o-contours/IM-0001-0007-ocontour-manual.txt": enc(contourText(inner)),
    })),
);

const convert: FuzzTarget = {
  name: "convert",
  arbitrary: convertCase,
  run(dir) {
    const summary = convertInput(join(dir, "in"), join(dir, "out"));
    const wrong: string[] = [];
    let bytes = 0;
    for (const f of summary.written.filter((w) => w.endsWith(".nii.gz"))) {
      const v = readNifti(f); // what convert wrote must read back, with sound geometry
      bytes += v.data.byteLength;
      wrong.push(...volumeWrong(v, f, false));
      if (f.endsWith("_gt.nii.gz")) {
        const bad = v.data.find((x) => x > 3 && x !== 255); // 255: not annotated (README, "Partially annotated labels")
        if (bad !== undefined) wrong.push(`${f}: label ${bad} written although outside the class list`);
      }
    }
    return { legitBytes: sizeOf(dir) + bytes * 2, wrong };
  },
};

const scoreCase: fc.Arbitrary<FuzzCase> = fc.record({
  cases: fc.array(fc.record({ truth: niftiRecipe, pred: niftiRecipe, predMissing: fc.boolean(), mutatePred: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  extraPred: fc.boolean(),
  dangling: fc.boolean(),
  info: fc.option(infoCfgText, { nil: undefined }),
  skip: fc.boolean(),
}).map(({ cases, extraPred, dangling, info, skip }) => {
  const out: FuzzCase = {};
  cases.forEach((c, k) => {
    const dims = [6, 5, 2];
    out[`gt/p/case${k}_frame0${k + 1}_gt.nii.gz`] = niftiFrom({ ...c.truth, dims, labels: true, patches: [], bytes: [], wrap: "gzip" });
    if (!c.predMissing) out[`pred/case${k}_frame0${k + 1}.nii.gz`] = niftiFrom(c.mutatePred ? { ...c.pred, labels: true } : { ...c.pred, dims, labels: true, patches: [], bytes: [], wrap: "gzip" });
  });
  if (extraPred) out["pred/extra_ED.nii.gz"] = niftiFrom({ dims: [6, 5, 2], as: "uint8", labels: true, patches: [], bytes: [], wrap: "gzip", bombMiB: 1 });
  if (dangling) out["pred/ghost.nii.gz"] = { link: "pred/none.nii.gz" };
  if (info !== undefined) out["gt/p/Info.cfg"] = enc(info);
  if (skip) out["skip"] = new Uint8Array(0);
  if (!Object.keys(out).some((k) => k.startsWith("pred/"))) out["pred"] = { dir: true };
  return out;
});

const score: FuzzTarget = {
  name: "score",
  arbitrary: scoreCase,
  run(dir) {
    const truthIds = readdirSync(join(dir, "gt", "p")).filter((f) => f.endsWith("_gt.nii.gz")).map((f) => f.replace(/_gt\.nii\.gz$/, ""));
    const report = scoreFolders({ predDir: join(dir, "pred"), gtDir: join(dir, "gt"), classes: ACDC_CLASSES, skipMissing: existsSync(join(dir, "skip")) });
    const seen = new Set([...report.cases.map((c) => c.id), ...report.skipped.map((s) => s.id)]);
    const wrong = truthIds.filter((id) => !seen.has(id)).map((id) => `ground truth ${id} neither scored nor listed as skipped`);
    return { legitBytes: sizeOf(dir) * 8, wrong };
  },
};

let baseScores: string | undefined;
function validScores(): unknown {
  if (!baseScores) {
    const dims = [4, 4, 2], spacing = [1, 1, 2];
    const vol = (data: Uint8Array) => ({ data, dims, spacing, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], meta: {} });
    const lab = Uint8Array.from({ length: 32 }, (_, i) => i % 4);
    baseScores = JSON.stringify(scoreCases([{ id: "p_ED", phase: "ED", pred: vol(lab), truth: vol(lab) }, { id: "p_ES", phase: "ES", pred: vol(lab.map((v) => (v + 1) % 4)), truth: vol(lab) }]));
  }
  return JSON.parse(baseScores) as unknown;
}

const reportCase: fc.Arbitrary<FuzzCase> = fc.record({
  lines: fc.array(metricsLine, { maxLength: 40 }),
  scores: fc.oneof(fc.constant("none" as const), fc.constant("valid" as const), fc.constant("dir" as const), fc.record({ path: fc.array(fc.nat(40), { maxLength: 5 }), value: jsonValue }), fc.string({ maxLength: 30 })),
  overlay: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  logAsDir: fc.boolean(),
}).map(({ lines, scores, overlay, logAsDir }) => {
  const out: FuzzCase = {};
  if (logAsDir) out["run/metrics.jsonl"] = { dir: true };
  else out["run/metrics.jsonl"] = enc(lines.join("\n") + "\n");
  if (scores === "valid") out["run/eval/scores.json"] = enc(JSON.stringify(validScores()));
  else if (scores === "dir") out["run/eval/scores.json"] = { dir: true };
  else if (typeof scores === "string") { if (scores !== "none") out["run/eval/scores.json"] = enc(scores); }
  else out["run/eval/scores.json"] = enc(JSON.stringify(setAtPath(validScores(), scores.path, scores.value)) ?? "null");
  if (overlay) out["run/eval/cases/p_ED_pred.png"] = overlay;
  return out;
});

const report: FuzzTarget = {
  name: "report",
  arbitrary: reportCase,
  run(dir) {
    const built = writeRunReport(join(dir, "run"));
    const wrong = existsSync(built.html) ? [] : ["report claims success but wrote no HTML"];
    return { legitBytes: sizeOf(dir) * 8 + (1 << 22), wrong };
  },
};

const predictInputs: FuzzTarget = {
  name: "predict-inputs",
  arbitrary: fc.oneof(
    niftiRecipe.map((r): FuzzCase => ({ "in/img.nii.gz": niftiFrom(r) })),
    dicomRecipe.map((r): FuzzCase => ({ "in/img.dcm": dicomFrom(r) })),
    pngBytes.map((b): FuzzCase => ({ "in/img.png": b })),
    dicomFolderCase,
  ),
  run(dir) {
    const name = readdirSync(join(dir, "in")).find((n) => n.startsWith("img"));
    const input = name ? join(dir, "in", name) : join(dir, "in");
    const wrong: string[] = [];
    let bytes = 0;
    for (const item of expandInput(input, { onFileError: () => undefined })) {
      const v = item.load();
      bytes += v.data.byteLength;
      wrong.push(...volumeWrong(v, item.name, item.kind === "dicom"));
    }
    return { legitBytes: sizeOf(dir) + bytes, wrong };
  },
};

/** A run folder with two checkpoints, one of its files then damaged, removed or swapped. */
const checkpointCase: fc.Arbitrary<FuzzCase> = fc.record({
  target: fc.constantFrom("last.json", "last.safetensors", "last.optim.safetensors", "checkpoints/iter_000002.json", "checkpoints/iter_000002.safetensors"),
  action: fc.constantFrom("mutate", "mutate", "delete", "swap", "none"),
  bytes: fc.array(fc.record({ kind: fc.constant("set" as const), at: fc.double({ min: 0, max: 0.999, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
  checksum: fc.boolean(),
}).map(({ target, action, bytes, checksum }) => {
  const out: FuzzCase = {};
  for (const [stem, iter] of [["run/checkpoints/iter_000002", 2], ["run/last", 4]] as const) {
    const w = safetensorsBytes(Float32Array.from([iter, 1, 2]), { format: "cardioseg-checkpoint-1" }, checksum);
    const o = safetensorsBytes(Float32Array.from([iter, 9]), { format: "cardioseg-checkpoint-1" }, checksum);
    const digest = (b: Uint8Array): string => /"cardioseg\.sha256":"([0-9a-f]{64})"/.exec(Buffer.from(b).toString("latin1"))?.[1] ?? "";
    const base = stem.split("/").pop() as string;
    const body: Record<string, unknown> = {
      format: "cardioseg-checkpoint-1", weights: `${base}.safetensors`, optimizerFile: `${base}.optim.safetensors`,
      optimizer: { type: "sgd", paramGroups: [{ params: [0] }], steps: {} }, iter, rng: null, loader: null, best: null, elapsedS: 1, config: { model: {} },
    };
    if (checksum) body.checksums = { weights: digest(w), optimizer: digest(o) };
    out[`${stem}.safetensors`] = w;
    out[`${stem}.optim.safetensors`] = o;
    out[`${stem}.json`] = enc(checksum ? sealedSidecar(body) : JSON.stringify(body, null, 1));
  }
  const key = `run/${target}`;
  const original = out[key] as Uint8Array;
  if (action === "mutate") out[key] = mutate(original, bytes, original.length);
  if (action === "delete") delete out[key];
  if (action === "swap") out[key] = out[key.includes("last") ? key.replace("run/last", "run/checkpoints/iter_000002") : key.replace("checkpoints/iter_000002", "last")] as Uint8Array;
  if (checksum && !Buffer.from(out[key] as Uint8Array ?? new Uint8Array()).equals(Buffer.from(original))) out["run/.damaged"] = enc(target);
  return out;
});

const checkpoint: FuzzTarget = {
  name: "checkpoint",
  arbitrary: checkpointCase,
  run(dir) {
    const runDir = join(dir, "run");
    const chosen = resolveResumePath(runDir);
    const wrong: string[] = [];
    const damaged = existsSync(join(runDir, ".damaged")) ? readFileSync(join(runDir, ".damaged"), "utf8") : null;
    // With checksums, a changed file must never be part of the checkpoint resume picks.
    if (damaged) {
      const stem = chosen.replace(/\.json$/, "");
      const used = [`${stem}.json`, `${stem}.safetensors`, `${stem}.optim.safetensors`].map((f) => f.slice(runDir.length + 1));
      if (used.includes(damaged)) wrong.push(`resume picked ${chosen} although ${damaged} was changed`);
    }
    return { legitBytes: sizeOf(dir) * 8, wrong };
  },
};

const configText = readFileSync(join(REPO, "configs", "test-tiny.yaml"), "utf8");
const config: FuzzTarget = {
  name: "config",
  arbitrary: fc.record({ lines: fc.array(fc.record({ at: fc.nat(60), text: fc.constantFrom("  lr: -1", "model: 3", "train:\n  iterations: 1e400", "  batchSize: 0", "&a [*a]", "x: *b", "seed: .nan", "\t", "data:\n  root: 7", "{") }), { maxLength: 4 }), cut: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map(({ lines, cut }): FuzzCase => {
      const list = configText.split("\n");
      for (const l of lines) list.splice(l.at % (list.length + 1), 0, l.text);
      const text = list.join("\n");
      return { "c.yaml": enc(cut > 0.8 ? text.slice(0, Math.floor(text.length * cut)) : text) };
    }),
  run(dir) {
    loadConfigFile(join(dir, "c.yaml"));
    return { legitBytes: sizeOf(dir) * 64 + (1 << 20), wrong: [] };
  },
};

export const TARGETS: readonly FuzzTarget[] = [nifti, dicom, dicomFolder, contour, convert, score, report, predictInputs, checkpoint, config];

export function targetNamed(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target ${name} (known: ${TARGETS.map((x) => x.name).join(", ")})`);
  return t;
}

type EncodedEntry = string | { gzip: string } | { link: string } | { dir: true };

/** Entries of a case as a JSON-able record (regression fixtures), and back; large files are stored gzipped. */
export function encodeCase(c: FuzzCase): Record<string, EncodedEntry> {
  return Object.fromEntries(Object.entries(c).map(([k, v]): [string, EncodedEntry] => {
    if (!(v instanceof Uint8Array)) return [k, v];
    const packed = v.length > 4096 ? gzipSync(v, { level: 9 }) : null;
    return [k, packed && packed.length < v.length / 2 ? { gzip: packed.toString("base64") } : Buffer.from(v).toString("base64")];
  }));
}

export function decodeCase(o: Record<string, EncodedEntry>): FuzzCase {
  return Object.fromEntries(Object.entries(o).map(([k, v]): [string, Entry] => {
    if (typeof v === "string") return [k, new Uint8Array(Buffer.from(v, "base64"))];
    if ("gzip" in v) return [k, new Uint8Array(gunzipSync(Buffer.from(v.gzip, "base64")))];
    return [k, v];
  }));
}
