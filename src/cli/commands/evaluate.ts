// `cardioseg evaluate` — predict every case of a data set with a trained model and score it
// (src/infer/evaluate.ts): prints the metric table, writes OUT/eval/scores.json and overlays.
import type { Command } from "commander";
import { formatScoreReport } from "../../eval/format.js";

interface EvaluateFlags {
  model?: string;
  data: string;
  json?: string;
  patients?: string;
  out?: string;
  tta?: boolean;
  lcc?: boolean;
  overlays: string;
  saveLabels?: boolean;
  structures?: string;
  batchSize: string;
  engine: string;
  precision: string;
  convolutions?: string;
}

export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description("predict every case of a data set with a trained model, then score it (metric table, per-case Dice/HD95/ASSD, clinical indices)")
    .option("--model <path>", "run folder (best, else last weights), a .safetensors file (or, with --engine onnx, a .onnx file); default: the shipped model (models/README.md)")
    .requiredOption("--data <dir>", "data set root (ACDC, Sunnybrook, generic or synthetic layout)")
    .option("--patients <sel>", "patients to evaluate, e.g. 081-100 or patient003,patient007 (default: the run's validation patients when --data is the folder it was trained on, else all)")
    .option("--out <dir>", "folder for eval/scores.json and eval/cases/ (default: the model's run folder; runs/<name> for the shipped model)")
    .option("--json <file>", "also write the score JSON here")
    .option("--tta", "flip test-time augmentation (average over identity, horizontal and vertical flips)")
    .option("--lcc", "keep only the largest 3D connected component of each structure before scoring")
    .option("--overlays <n>", "best and worst cases drawn as overlays (each)", "3")
    .option("--save-labels", "also write the predicted label maps to OUT/eval/labels/<id>.nii.gz")
    .option("--structures <list>", "score only these structures, e.g. LV,MYO; the others count as background (default: what the data set annotates: MYO,LV for Sunnybrook; else all)")
    .option("--batch-size <n>", "slices per network call, or auto (about 5 ACDC slices; memory grows with it)", "auto")
    .option("--engine <name>", "libtorch, or onnx: the model exported to ONNX and run by onnxruntime-node (--model may then be a .onnx file)", "libtorch")
    .option("--precision <p>", "libtorch engine: float32, or bfloat16 (about twice as fast on a CPU with AVX512-BF16/AMX; "
      + "labels may differ at a few boundary voxels)", "float32")
    .option("--convolutions <k>", "libtorch engine in float32 on CPU: winograd (default: packed oneDNN kernels, "
      + "Winograd for 3x3 stride 1 where the CPU has it), packed (direct kernels only), or libtorch "
      + "(at::conv2d, as in training)")
    .action(async (flags: EvaluateFlags) => {
      const { runEvaluate } = await import("../../infer/evaluate.js");
      const { parseBatchSize } = await import("../../infer/predict.js");
      const { parseEngine } = await import("../../infer/engines.js");
      const { parsePrecision, parseConvolutions } = await import("../../infer/engine.js");
      const overlays = Number(flags.overlays);
      if (!Number.isInteger(overlays) || overlays < 0) throw new Error(`--overlays must be a non-negative integer, got "${flags.overlays}"`);
      const r = await runEvaluate({
        model: flags.model, data: flags.data, patients: flags.patients, out: flags.out, json: flags.json,
        tta: flags.tta, lcc: flags.lcc, overlays, saveLabels: flags.saveLabels,
        batchSize: parseBatchSize(flags.batchSize), engine: parseEngine(flags.engine), precision: parsePrecision(flags.precision),
        convolutions: flags.convolutions === undefined ? undefined : parseConvolutions(flags.convolutions),
        structures: flags.structures?.split(",").map((s) => s.trim()).filter((s) => s !== ""),
      });
      console.log(formatScoreReport(r.report));
      console.log(`scores written to ${r.scoresPath}${flags.json ? ` and ${flags.json}` : ""}; ${r.overlays.length} overlay pictures in ${r.outDir}/eval/cases`);
      if (r.report.cases.length === 0) process.exitCode = 1;
    });
}
