// acdc.ts — the ACDC challenge layout: patientNNN/Info.cfg (ED, ES, Group, Height, Weight,
// NbFrame) with patientNNN_frameNN.nii.gz and its _gt.nii.gz labels (0 bg, 1 RV, 2 MYO, 3 LV).
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { IoError, readInputText } from "../errors.js";
import { readNifti } from "../nifti/read.js";
import { readLabelFile } from "../volumes.js";
import { isDir, problemOf, type Dataset, type DatasetCase, type DatasetProblem } from "./types.js";
import { pushAll } from "../../util/array.js";

export interface AcdcInfo {
  ed: number;
  es: number;
  group: string;
  height: number;
  weight: number;
  nbFrame: number;
}

const PATIENT_DIR = /^patient\d{3}$/;

/** Parses Info.cfg ("Key: value" lines); ED and ES are required. */
export function parseAcdcInfo(text: string, file: string): AcdcInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) fields.set(m[1].toLowerCase(), m[2]);
  }
  const int = (key: string, required: boolean): number => {
    const raw = fields.get(key);
    const v = Number(raw);
    if (raw === undefined || raw === "" || !Number.isInteger(v) || v < 0) {
      if (required) throw new IoError(file, `missing or bad "${key.toUpperCase()}" (got ${JSON.stringify(raw ?? null)})`);
      return NaN;
    }
    return v;
  };
  const num = (key: string): number => (fields.has(key) ? Number(fields.get(key)) : NaN);
  return { ed: int("ed", true), es: int("es", true), group: fields.get("group") ?? "", height: num("height"), weight: num("weight"), nbFrame: int("nbframe", false) };
}

/** Patient folders under `root` (the root itself, root/patientNNN, or root/training|testing/patientNNN). */
export function acdcPatientDirs(root: string): string[] {
  if (PATIENT_DIR.test(basename(root)) && existsSync(join(root, "Info.cfg"))) return [root];
  const dirs: string[] = [];
  for (const base of [root, join(root, "training"), join(root, "testing")]) {
    if (!isDir(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (PATIENT_DIR.test(name) && isDir(join(base, name))) dirs.push(join(base, name));
    }
  }
  return dirs;
}

export function isAcdcRoot(root: string): boolean {
  return acdcPatientDirs(root).some((d) => existsSync(join(d, "Info.cfg")));
}

export function loadAcdc(root: string): Dataset {
  const cases: DatasetCase[] = [];
  const problems: DatasetProblem[] = [];
  for (const dir of acdcPatientDirs(root)) {
    try {
      pushAll(cases, patientCases(dir, problems));
    } catch (err) {
      problems.push(problemOf(join(dir, "Info.cfg"), err));
    }
  }
  return { kind: "acdc", root, cases, problems };
}

function patientCases(dir: string, problems: DatasetProblem[]): DatasetCase[] {
  const patient = basename(dir);
  const cfg = join(dir, "Info.cfg");
  const info = parseAcdcInfo(readInputText(cfg), cfg);
  const out: DatasetCase[] = [];
  for (const [phase, frame] of [["ED", info.ed], ["ES", info.es]] as const) {
    const stem = `${patient}_frame${String(frame).padStart(2, "0")}`;
    const imagePath = join(dir, `${stem}.nii.gz`);
    if (!existsSync(imagePath)) {
      problems.push({ file: imagePath, message: `${imagePath}: ${phase} frame ${frame} named in Info.cfg is missing` });
      continue;
    }
    const gt = join(dir, `${stem}_gt.nii.gz`);
    out.push(acdcCase(patient, phase, frame, imagePath, existsSync(gt) ? gt : undefined, info));
  }
  return out;
}

function acdcCase(patient: string, phase: "ED" | "ES", frame: number, imagePath: string, labelPath: string | undefined, info: AcdcInfo): DatasetCase {
  const details = { frame, group: info.group, height: info.height, weight: info.weight, nbFrame: info.nbFrame };
  return {
    id: `${patient}_${phase}`,
    patient,
    phase,
    imagePath,
    labelPaths: labelPath ? [labelPath] : [],
    info: details,
    loadImage: () => readNifti(imagePath),
    loadLabels: () => (labelPath ? readLabelFile(labelPath) : undefined),
  };
}

