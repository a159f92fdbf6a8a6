// demo.ts owns `cardioseg demo` (`npm run demo`): the whole job end to end on a CPU in minutes —
// generate the synthetic data set (or use --data), train a small DeepLab v3, evaluate it on the
// run's held-out validation patients, predict one of them, print the metric table and write the
// report. Every step reuses what a previous run left: existing data, a finished run (a run stopped
// part-way is resumed), so a second `npm run demo` only re-evaluates and rewrites the report.
//
//   OUT/data/                 synthetic data set, ACDC layout (not with --data)
//   OUT/                      the run folder (config.json, metrics.jsonl, best/last weights, …)
//   OUT/eval/                 scores.json and best/worst overlays (see evaluate.ts)
//   OUT/predict/              one validation case predicted (see predict.ts)
//   OUT/report.html           the report (src/report)
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { detectDataset, loadDataset } from "../io/datasets/index.js";
import { writeSynthDataset } from "../synth/dataset.js";
import { formatScoreReport } from "../eval/format.js";
import { writeRunReport } from "../report/build.js";
import { modelConfigDiff, readSidecar } from "../train/checkpoint.js";
import { checkpointFinished } from "../train/plan.js";
import { Predictor } from "./predictor.js";
import { resolveRunConfig, runTraining, type RunOptions } from "../train/run.js";
import type { ProgressMode } from "../train/progress.js";
import { runEvaluate, type EvaluateResult } from "./evaluate.js";
import { runPredict, type PredictSummary } from "./predict.js";
import type { Log } from "./volume.js";
import { projectRoot } from "../util/project.js";

export interface DemoOptions {
  /** A real data set root (ACDC layout recommended); default: generate phantoms into OUT/data. */
  data?: string;
  out?: string;
  /** Tiny everything (CI smoke test): seconds instead of minutes. */
  fast?: boolean;
  iterations?: number;
  progress?: ProgressMode;
  log?: Log;
}

export interface DemoResult {
  runDir: string;
  dataDir: string;
  training: "trained" | "resumed" | "reused";
  evaluation: EvaluateResult;
  prediction: PredictSummary;
  reportPath: string;
  table: string;
  wallS: number;
}

/** Synthetic demo size: 20 patients (16 train, 4 validation) of 128 px phantoms. */
const SYNTH = { cases: 20, size: 128, seed: 1 };
const SYNTH_FAST = { cases: 4, size: 48, seed: 1 };
/**
 * On phantoms the demo trains configs/demo.yaml as it stands (its header gives the measurements);
 * on a real data set it shortens configs/acdc-cpu.yaml to this many iterations unless --iterations
 * (2-3 it/s on 2 cores: a few minutes, far from the hour that preset is tuned for).
 */
const DATA_ITERATIONS = 200;
/** --fast: a network and crops small enough for a CI smoke test. */
const FAST_OVERRIDES = [
  "model.width=4", "model.asppChannels=8", "data.cropSize=32", "data.spacing=5", "data.prefetch=1",
  "train.batchSize=2", "train.logEvery=1", "train.valMaxSlices=4", "threads=1",
];

export function defaultDemoOut(o: Pick<DemoOptions, "data" | "fast">): string {
  if (o.data) return join("runs", `demo-${basename(o.data.replace(/[\\/]+$/, "")) || "data"}`);
  return join("runs", o.fast ? "demo-fast" : "demo");
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const runDir = o.out ?? defaultDemoOut(o);
  const dataDir = o.data ?? join(runDir, "data");
  step(log, 1, o.data ? `data set ${dataDir}` : `synthetic data set in ${dataDir}`);
  if (o.data) {
    if (!detectDataset(o.data)) throw new Error(`--data ${o.data}: not a recognised data set (ACDC root, Sunnybrook root or image/label folder)`);
  } else {
    ensureSynthData(dataDir, o.fast === true, log);
  }
  step(log, 2, `training -> ${runDir}`);
  const run = trainingOptions(o, dataDir, runDir, log);
  const training = await trainOrReuse(run, log);
  step(log, 3, "evaluating on the run's validation patients");
  const predictor = Predictor.load(runDir);
  try {
    const evaluation = await runEvaluate({ model: runDir, data: dataDir, out: runDir, overlays: 3, predictor, log });
    step(log, 4, `predicting one validation case -> ${join(runDir, "predict")}`);
    const prediction = await runPredict({
      model: runDir, inputs: [demoInput(dataDir, evaluation)], out: join(runDir, "predict"),
      formats: ["nifti", "png", "contours"], lcc: true, predictor, log,
    });
    step(log, 5, "report");
    const reportPath = writeRunReport(runDir).html;
    const table = formatScoreReport(evaluation.report);
    return { runDir, dataDir, training, evaluation, prediction, reportPath, table, wallS: (performance.now() - started) / 1000 };
  } finally {
    predictor.dispose();
  }
}

function step(log: Log, n: number, text: string): void {
  log(`\n== demo ${n}/5: ${text}`);
}

/** Generates the phantoms unless a data set is already there (a previous demo's). */
function ensureSynthData(dataDir: string, fast: boolean, log: Log): void {
  if (detectDataset(dataDir) === "acdc") {
    log(`reusing ${dataDir}`);
    return;
  }
  const spec = fast ? SYNTH_FAST : SYNTH;
  const t = performance.now();
  writeSynthDataset({ out: dataDir, cases: spec.cases, seed: spec.seed, size: spec.size, preview: false });
  log(`wrote ${spec.cases} synthetic patients (${spec.size} px) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** configs/demo.yaml on phantoms; configs/acdc-cpu.yaml (shortened) on a real data set. */
export function trainingOptions(o: DemoOptions, dataDir: string, runDir: string, log: Log): RunOptions {
  const config = join(projectRoot(), "configs", o.data ? "acdc-cpu.yaml" : "demo.yaml");
  const overrides: string[] = [];
  if (o.fast) overrides.push(...FAST_OVERRIDES);
  const iterations = o.iterations ?? (o.fast ? 4 : o.data ? DATA_ITERATIONS : undefined);
  if (iterations !== undefined) {
    if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations must be a positive integer, got ${iterations}`);
    // A few validation points for the report's curves; fewer on real data, where each costs more.
    const every = Math.max(1, Math.ceil(iterations / (o.data ? 2 : 6)));
    // An iteration count, not the preset's time budget (which would replace it).
    overrides.push(`train.iterations=${iterations}`, "train.timeBudget=", `train.valEvery=${every}`, `train.checkpointEvery=${every}`);
  }
  // acdc-cpu.yaml names ACDC patients 001-080 / 081-100; any other layout is split by fraction.
  if (o.data && !hasAcdcSplit(dataDir)) overrides.push("data.trainPatients=", "data.valPatients=");
  log(`config ${config}${overrides.length ? ` with ${overrides.join(" ")}` : ""}`);
  return { config, data: dataDir, out: runDir, overrides, progress: o.progress, log };
}

function hasAcdcSplit(dataDir: string): boolean {
  if (detectDataset(dataDir) !== "acdc") return false;
  const patients = new Set(loadDataset(dataDir, "acdc").cases.map((c) => c.patient));
  return patients.has("patient001") && patients.has("patient081");
}

/** Train, resume an interrupted run, or reuse a finished one (same architecture required). */
async function trainOrReuse(run: RunOptions, log: Log): Promise<DemoResult["training"]> {
  const cfg = resolveRunConfig(run);
  const sidecar = join(run.out!, "last.json");
  let resume: string | undefined;
  if (existsSync(sidecar)) {
    const saved = readSidecar(sidecar);
    const diff = modelConfigDiff(saved.config.model, cfg.model);
    if (diff.length > 0) {
      throw new Error(`${run.out} holds a run of a different model (${diff.join("; ")}); delete it or pass --out`);
    }
    if (checkpointFinished(saved, cfg)) {
      log(`reusing the finished run in ${run.out} (iteration ${saved.iter})`);
      return "reused";
    }
    resume = run.out;
  }
  const result = await runTraining({ ...run, resume });
  if (result.stoppedBy !== "done") throw new Error(`training stopped at iteration ${result.iter}; run the demo again to resume`);
  log(`trained to iteration ${result.iter} in ${(result.elapsedS / 60).toFixed(1)} min`);
  return resume ? "resumed" : "trained";
}

/** The first evaluated validation patient's first image (ED where the layout has phases). */
function demoInput(dataDir: string, evaluation: EvaluateResult): string {
  const patients = new Set(evaluation.report.evaluation.patients);
  const cases = loadDataset(dataDir).cases.filter((c) => patients.has(c.patient));
  const pick = cases.find((c) => c.phase === "ED") ?? cases[0];
  if (!pick) throw new Error(`${dataDir}: no validation case to predict`);
  return pick.imagePath;
}
