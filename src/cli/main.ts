// src/cli — the one command-line interface, `cardioseg <command>`. Each sub-command lives in
// commands/<name>.ts and only parses arguments and calls into the library layers. Commands that
// run a network (train, evaluate, predict, demo, export, serve, pack, cv, ablate) import their layer when they run, so the others
// and --help start without loading libtorch (~0.4 s).
import { Command } from "commander";
import { registerConvert } from "./commands/convert.js";
import { registerSynth } from "./commands/synth.js";
import { registerTrain } from "./commands/train.js";
import { registerScore } from "./commands/score.js";
import { registerEvaluate } from "./commands/evaluate.js";
import { registerPredict } from "./commands/predict.js";
import { registerReport } from "./commands/report.js";
import { registerDemo } from "./commands/demo.js";
import { registerExport } from "./commands/export.js";
import { registerServe } from "./commands/serve.js";
import { registerPack } from "./commands/pack.js";
import { registerAblate, registerCv } from "./commands/cv.js";

export function buildProgram(): Command {
  const program = new Command("cardioseg")
    .description("DeepLab v3 segmentation of cardiac MRI: convert, synth, train, evaluate, predict, score, report, export, serve, pack, cv, ablate")
    .version("0.1.0")
    .showHelpAfterError();
  for (const register of [registerConvert, registerSynth, registerTrain, registerScore, registerEvaluate, registerPredict, registerReport, registerDemo, registerExport, registerServe,
    registerPack, registerCv, registerAblate]) {
    register(program);
  }
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`cardioseg: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
