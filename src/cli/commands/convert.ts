// `cardioseg convert INPUT --out DIR [--png]` — argument parsing only; the work is in src/io/convert.ts.
import type { Command } from "commander";
import { convertInput } from "../../io/convert.js";
import { parseClassList } from "./score.js";

export function registerConvert(program: Command): void {
  program
    .command("convert")
    .description("convert a Sunnybrook root, an ACDC root, a folder of image/label pairs or a DICOM series folder to NIfTI image/label pairs")
    .argument("<input>", "Sunnybrook root (link.csv, dicoms/, contourfiles/), ACDC root (patientNNN/Info.cfg), image/label folder, or DICOM folder")
    .requiredOption("-o, --out <dir>", "output folder")
    .option("--png", "also write a PNG overlay (image + coloured labels) per case", false)
    .option("-q, --quiet", "print only the summary", false)
    .option("--classes <names>", "comma-separated label class names, 0 first; labels beyond them (but 255, not annotated) fail their case", "background,RV,MYO,LV")
    .addHelpText("after", `
Output:
  Sunnybrook  DIR/<patient>/<patient>_<N>.nii.gz and <patient>_<N>_gt.nii.gz for every contoured
              DICOM (labels: 0 background, 2 myocardium, 3 LV cavity; 255 = not annotated: outside
              the cavity on images without an o-contour), DIR/dataset.json (structures MYO, LV)
  ACDC        DIR/<patient>/<patient>_frameNN.nii.gz and _gt.nii.gz (float32 image, uint8 labels),
              DIR/dataset.json
              Both are read back by every command (train, evaluate, convert) as patient folders.
  folder      DIR/<name>.nii.gz and <name>_gt.nii.gz for X.nii.gz + X_gt.nii.gz or images/ + labels/
  DICOM       DIR/series<number>[_<description>][_phaseNN].nii.gz, one volume per series and cine phase
  always      DIR/convert-report.json listing written files and skipped inputs with the reason
Bad files are reported and skipped, and every other case is still converted; the exit code is 1
when any input could not be converted (or nothing was).`)
    .action((input: string, opts: { out: string; png: boolean; quiet: boolean; classes: string }) => {
      const log = opts.quiet ? undefined : (line: string) => console.log(line);
      const summary = convertInput(input, opts.out, { png: opts.png, log, classes: parseClassList(opts.classes) });
      for (const w of summary.warnings) console.error(`warning: ${w}`);
      for (const p of summary.problems) console.error(`error: ${p.message}`);
      console.log(`${summary.kind}: ${summary.cases} cases, ${summary.written.length} files written to ${opts.out}, ${summary.problems.length} problems`);
      if (summary.written.length === 0 || summary.problems.length > 0) process.exitCode = 1;
    });
}
