// `cardioseg synth` — writes the synthetic cardiac cine MRI data set (src/synth) in the ACDC layout.
import type { Command } from "commander";
import { DEFAULT_SIZE } from "../../synth/phantom.js";
import { writeSynthDataset } from "../../synth/dataset.js";

interface SynthFlags {
  out: string;
  cases: string;
  seed: string;
  size: string;
  preview?: boolean;
  quiet?: boolean;
}

function integer(flag: string, raw: string): number {
  const v = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(v)) throw new Error(`${flag} must be a non-negative integer, got "${raw}"`);
  return v;
}

export function registerSynth(program: Command): void {
  program
    .command("synth")
    .description("generate a synthetic short-axis cine MRI data set (ED and ES frames with labels) in the ACDC layout")
    .requiredOption("--out <dir>", "output folder (patientNNN/ folders are written into it)")
    .option("--cases <n>", "number of patients", "10")
    .option("--seed <s>", "random seed: the same seed gives byte-identical files", "1")
    .option("--size <px>", "image width and height in pixels", String(DEFAULT_SIZE))
    .option("--preview", "also write preview/patientNNN.png overlays (ED row above ES row)")
    .option("--quiet", "print only the summary")
    .action((flags: SynthFlags) => {
      const started = Date.now();
      const result = writeSynthDataset({
        out: flags.out,
        cases: integer("--cases", flags.cases),
        seed: integer("--seed", flags.seed),
        size: integer("--size", flags.size),
        preview: flags.preview === true,
        onCase: flags.quiet ? undefined : (c) => {
          const [nx, ny, nz] = c.frames[0].image.dims;
          console.log(`${c.id}  ${c.info.Group.padEnd(4)}  ${nx}x${ny}x${nz}  ES frame ${c.info.ES}`);
        },
      });
      const secs = (Date.now() - started) / 1000;
      console.log(`wrote ${result.patientDirs.length} patients to ${flags.out} in ${secs.toFixed(1)} s`);
      if (result.previews.length > 0) console.log(`previews: ${result.previews[0]}${result.previews.length > 1 ? ` … (${result.previews.length})` : ""}`);
    });
}
