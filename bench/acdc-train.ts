// acdc-train.ts: what a user of `cardioseg train` feels. (1) The acdc-cpu training step with its
// augmentation — the real loader (gathering on the timed thread), the batched libtorch
// augmentation, DeepLab v3+ ResNet-18 OS16 with its aux head, batch 8, 160x160, AdamW, Dice + CE,
// channels-last, at the preset's precision, as the trainer runs it — against the same model in
// PyTorch eager, float32 (as its users run it) with per-sample torchvision-style augmentation
// (bench/acdc_train_bench.py); and the same step with both sides under bfloat16 autocast, the
// engine against engine at one precision. (2) `cardioseg train --config configs/acdc-cpu.yaml`
// itself, as a child process, reporting iterations per second of its training loop.
// Both read ACDC patients from ../shared/data/acdc when present, else the synthetic phantoms.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepLabV3 } from "../src/models/index.js";
import { tidy } from "../src/tensor/index.js";
import { batchTensors } from "../src/train/augment.js";
import { applyOverrides, loadConfigFile, type ExperimentConfig } from "../src/train/config.js";
import { buildTrainingData } from "../src/train/data.js";
import { modelLoss } from "../src/train/losses.js";
import { effectivePrecision, trainingForward } from "../src/train/forward.js";
import { buildOptimizer } from "../src/train/optimizer.js";
import { projectRoot } from "../src/util/project.js";
import type { Benchmark, BenchInstance } from "./types.js";

const ACDC = join(projectRoot(), "..", "shared", "data", "acdc");
const PRESET = join(projectRoot(), "configs", "acdc-cpu.yaml");

/** acdc-cpu on ten ACDC patients (or phantoms), for a quick set-up; `extra` overrides (bench/dist-worker.ts). */
export function benchConfig(extra: readonly string[] = []): ExperimentConfig {
  const data = existsSync(ACDC)
    ? [`data.root=${JSON.stringify(ACDC)}`, "data.trainPatients=001-010", "data.valPatients=\"011\""]
    : ["data.source=synthetic", "data.syntheticPatients=6", "data.trainPatients=", "data.valPatients="];
  return applyOverrides(loadConfigFile(PRESET), [...data, ...extra]);
}

function trainStepInstance(extra: readonly string[]): BenchInstance {
  const cfg = benchConfig(extra);
  const data = buildTrainingData(cfg);
  const model = new DeepLabV3(cfg.model).train();
  if (cfg.channelsLast) model.to({ memoryFormat: "channelsLast" });
  const { optimizer } = buildOptimizer(model, cfg.optim);
  const { precision } = effectivePrecision(cfg.precision, "cpu"); // as the trainer decides it
  return {
    step() {
      optimizer.zeroGrad();
      const batch = data.train.nextSync();
      tidy(() => {
        const { images, labels } = batchTensors(batch, "cpu", cfg.model.numClasses);
        const forward = { precision, device: "cpu", channelsLast: cfg.channelsLast } as const;
        modelLoss(trainingForward(model, images, forward), labels, cfg.loss).backward();
      });
      optimizer.step();
    },
    dispose() {
      void data.train.close();
      optimizer.disposeState();
      model.dispose();
    },
  };
}

export const acdcTrainStepBenchmark: Benchmark = {
  name: "acdc_cpu_train_step_augmented",
  description: "acdc-cpu train step + augmentation, preset precision (PyTorch float32)",
  iterations: 3,
  warmup: 2,
  setup: () => trainStepInstance([]),
};

export const acdcTrainStepBf16Benchmark: Benchmark = {
  name: "acdc_cpu_train_step_augmented_bf16",
  description: "acdc-cpu train step + augmentation, both under bfloat16 autocast",
  iterations: 3,
  warmup: 2,
  setup: () => trainStepInstance(["precision=bf16-mixed"]),
};

export interface TrainSpeedReport {
  iterations: number;
  /** Iterations per second of the training loop (from metrics.jsonl, after the first log line). */
  itPerS: number;
  /** The whole command: data loading, training, the final validation and checkpoint. */
  wallS: number;
  data: string;
  command: string;
}

/**
 * Runs `cardioseg train --config configs/acdc-cpu.yaml train.timeBudget= train.iterations=N` and reads its speed
 * (the preset is a time budget, which ignores train.iterations until `train.timeBudget=` clears it).
 */
export function trainItsPerSecond(iterations: number): TrainSpeedReport {
  const out = mkdtempSync(join(tmpdir(), "cardioseg-bench-train-"));
  const data = existsSync(ACDC) ? ["--data", ACDC] : ["data.source=synthetic", "data.trainPatients=", "data.valPatients="];
  const args = [join(projectRoot(), "dist", "src", "cli", "main.js"), "train", "--config", PRESET, ...data, "--out", out,
    "--progress", "silent", "train.timeBudget=", `train.iterations=${iterations}`, "train.logEvery=10"];
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: "utf8", env: process.env });
    const wallS = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`cardioseg train failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")
      .map((l) => JSON.parse(l) as { iter: number; time_s?: number; loss?: number })
      .filter((l) => l.loss !== undefined && l.time_s !== undefined);
    const first = lines[0], last = lines[lines.length - 1];
    const itPerS = (last.iter - first.iter) / ((last.time_s as number) - (first.time_s as number));
    const where = existsSync(ACDC) ? `--data ${ACDC}` : "data.source=synthetic";
    const command = `cardioseg train --config configs/acdc-cpu.yaml ${where} train.timeBudget= train.iterations=${iterations}`;
    return { iterations, itPerS, wallS, data: existsSync(ACDC) ? ACDC : "synthetic phantoms", command };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
