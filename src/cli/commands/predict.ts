// `cardioseg predict` — label maps for new images (NIfTI, DICOM series folders, PNG) in the
// input's own geometry, and a study summary (study.json: volumes, ED/ES, EF, mass) per cine; output
// layout documented in src/infer/predict.ts and study.ts. A failed input is reported and skipped;
// the exit code is then non-zero.
import type { Command } from "commander";

interface PredictFlags {
  model?: string;
  out: string;
  format: string;
  tta?: boolean;
  lcc?: boolean;
  pngSpacing: string;
  segPer: string;
  ed?: string;
  es?: string;
  batchSize: string;
  engine: string;
  precision: string;
  convolutions?: string;
}

/** A frame number option: a non-negative integer. */
function frameOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new Error(`${flag} must be a frame number (0, 1, 2…), got "${text}"`);
  return n;
}

export function registerPredict(program: Command): void {
  program
    .command("predict")
    .description("segment images with a trained model: NIfTI files, DICOM series folders or .dcm files, PNG slices")
    .argument("<inputs...>", "images to segment")
    .option("--model <path>", "run folder (best, else last weights), a .safetensors file (or, with --engine onnx, a .onnx file); default: the shipped model (models/README.md)")
    .requiredOption("--out <dir>", "output folder: OUT/<name>/<name>_pred.nii.gz, <name>_pred.png, overlay.png, contours/; OUT/<study>/study.json, seg.dcm")
    .option("--format <list>", "comma-separated: nifti, png (masks + overlay), contours, seg (DICOM inputs)", "nifti,png")
    .option("--tta", "flip test-time augmentation (average over identity, horizontal and vertical flips)")
    .option("--lcc", "keep only the largest 3D connected component of each structure")
    .option("--png-spacing <mm>", "pixel size of PNG inputs in mm (PNGs carry none)", "1")
    .option("--seg-per <unit>", "DICOM SEG per study (one multi-frame SEG for all phases of a cine) or per phase", "study")
    .option("--ed <frame>", "end-diastolic frame of each cine, from 0 as in the _tNN/_phaseNN names (default: Info.cfg, else largest LV volume)")
    .option("--es <frame>", "end-systolic frame of each cine, from 0 (default: Info.cfg, else smallest LV volume)")
    .option("--batch-size <n>", "slices per network call, or auto (about 5 ACDC slices; memory grows with it)", "auto")
    .option("--engine <name>", "libtorch, or onnx: the model exported to ONNX and run by onnxruntime-node (--model may then be a .onnx file)", "libtorch")
    .option("--precision <p>", "libtorch engine: float32, or bfloat16 (about twice as fast on a CPU with AVX512-BF16/AMX; "
      + "labels may differ at a few boundary voxels)", "float32")
    .option("--convolutions <k>", "libtorch engine in float32 on CPU: winograd (default: packed oneDNN kernels, "
      + "Winograd for 3x3 stride 1 where the CPU has it), packed (direct kernels only), or libtorch "
      + "(at::conv2d, as in training)")
    .action(async (inputs: string[], flags: PredictFlags) => {
      const { parseFormats, runPredict, parseBatchSize } = await import("../../infer/predict.js");
      const { parseEngine } = await import("../../infer/engines.js");
      const { parsePrecision, parseConvolutions } = await import("../../infer/engine.js");
      const pngSpacing = Number(flags.pngSpacing);
      if (!(pngSpacing > 0 && Number.isFinite(pngSpacing))) throw new Error(`--png-spacing must be a positive number, got "${flags.pngSpacing}"`);
      const segPer = flags.segPer;
      if (segPer !== "study" && segPer !== "phase") throw new Error(`--seg-per must be "study" or "phase", got "${segPer}"`);
      const ed = frameOption("--ed", flags.ed), es = frameOption("--es", flags.es);
      const s = await runPredict({
        model: flags.model, inputs, out: flags.out, formats: parseFormats(flags.format), tta: flags.tta, lcc: flags.lcc, pngSpacing, segPer, ed, es,
        batchSize: parseBatchSize(flags.batchSize), engine: parseEngine(flags.engine), precision: parsePrecision(flags.precision),
        convolutions: flags.convolutions === undefined ? undefined : parseConvolutions(flags.convolutions),
      });
      console.log(`${s.outputs.length} volume(s) predicted into ${flags.out}${s.failures.length ? `; ${s.failures.length} failed:` : ""}`);
      for (const f of s.failures) console.log(`  ${f.input}: ${f.message}`);
      if (s.failures.length > 0 || s.outputs.length === 0) process.exitCode = 1;
    });
}
