// `cardioseg export` — a trained model as an ONNX file (src/onnx/export.ts) for ONNX Runtime,
// onnxruntime-web and other hosts; its cardioseg.* metadata records the pre- and postprocessing.
import type { Command } from "commander";

interface ExportFlags {
  model: string;
  out: string;
  opset: string;
  dynamic?: boolean;
  foldBn?: boolean;
  size?: string;
  batch: string;
}

/** "160" or "192x160" (height x width) as [height, width]. */
export function parseSize(text: string): [number, number] {
  const parts = text.toLowerCase().split("x").map((p) => Number(p.trim()));
  const ok = (parts.length === 1 || parts.length === 2) && parts.every((p) => Number.isInteger(p) && p > 0);
  if (!ok) throw new Error(`--size must be N or HxW in pixels (e.g. 160 or 192x160), got "${text}"`);
  return [parts[0], parts[1] ?? parts[0]];
}

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer, got "${text}"`);
  return v;
}

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("write a trained model as an ONNX graph (logits for [N, 1, H, W] images) with its preprocessing in the metadata")
    .requiredOption("--model <path>", "run folder (best, else last weights) or a .safetensors checkpoint")
    .requiredOption("--out <file>", "the .onnx file to write (atomically)")
    .option("--opset <n>", "ONNX opset, 13 to 21", "17")
    .option("--dynamic", "batch, height and width as dynamic dimensions (else fixed by --batch and --size)")
    .option("--fold-bn", "fold every BatchNorm into the convolution before it (inference exporters' usual form)")
    .option("--size <HxW>", "fixed input size without --dynamic (default: the training crop size)")
    .option("--batch <n>", "fixed batch size without --dynamic", "1")
    .action(async (flags: ExportFlags) => {
      const { exportOnnx } = await import("../../onnx/export.js");
      const size = flags.size ? parseSize(flags.size) : undefined;
      if (flags.dynamic && (flags.size || flags.batch !== "1")) {
        throw new Error("--size and --batch fix the input shape; leave them out with --dynamic");
      }
      const s = exportOnnx({
        model: flags.model, out: flags.out, opset: positiveInt("--opset", flags.opset), dynamic: flags.dynamic,
        foldBatchNorm: flags.foldBn, batch: positiveInt("--batch", flags.batch), height: size?.[0], width: size?.[1],
      });
      const mb = (s.bytes / 1e6).toFixed(1);
      console.log(`${s.out}: ONNX opset ${s.opset}, input image [${s.input.join(", ")}] -> logits [${s.output.join(", ")}], ` +
        `${mb} MB, from ${s.weights}${flags.foldBn ? `, ${s.foldedPairs} BatchNorm(s) folded` : ""}`);
    });
}
