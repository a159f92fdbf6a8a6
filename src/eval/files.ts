// src/eval/files.ts — pairs prediction files with truth files by name and works out each case's
// cardiac phase, for `cardioseg score`. A prediction X.nii.gz matches X_gt.nii.gz (preferred,
// ACDC's naming) or X.nii.gz anywhere under the truth folder. The phase comes from ACDC's
// Info.cfg beside either file (frame number equal to its ED or ES entry), else from an ED/ES
// token in the name.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Phase } from "./score.js";

const NIFTI_EXT = /\.nii(\.gz)?$/i;

export interface CaseFiles {
  id: string;
  pred: string;
  /** null when no truth file matches. */
  truth: string | null;
  phase: Phase | null;
}

/** Every .nii/.nii.gz file under `dir`, recursively, sorted; hidden entries are skipped. */
export function listNifti(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith(".")) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (NIFTI_EXT.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function caseIdOf(file: string): string {
  return basename(file).replace(NIFTI_EXT, "");
}

/** Pairs every prediction under predDir with its truth file under gtDir. */
export function matchCases(predDir: string, gtDir: string): CaseFiles[] {
  const truthByName = new Map<string, string[]>();
  for (const f of listNifti(gtDir)) {
    const key = basename(f).toLowerCase();
    truthByName.set(key, [...(truthByName.get(key) ?? []), f]);
  }
  const preds = listNifti(predDir);
  if (preds.length === 0) throw new Error(`${predDir}: no .nii or .nii.gz files`);
  const seen = new Map<string, string>();
  return preds.map((pred) => {
    const id = caseIdOf(pred);
    const earlier = seen.get(id);
    if (earlier) throw new Error(`case ${id}: two predictions share the name (${earlier} and ${pred})`);
    seen.set(id, pred);
    const truth = findTruth(id, truthByName);
    return { id, pred, truth, phase: phaseOf(id, truth, pred) };
  });
}

function findTruth(id: string, truthByName: Map<string, string[]>): string | null {
  for (const name of [`${id}_gt.nii.gz`, `${id}_gt.nii`, `${id}.nii.gz`, `${id}.nii`]) {
    const hits = truthByName.get(name.toLowerCase());
    if (!hits) continue;
    if (hits.length > 1) throw new Error(`case ${id}: several truth files named ${name}: ${hits.join(", ")}`);
    return hits[0];
  }
  return null;
}

/** ED/ES of a case: Info.cfg frame numbers beside the truth or prediction, else the name. */
export function phaseOf(id: string, truth: string | null, pred: string): Phase | null {
  const frame = /frame0*(\d+)/i.exec(id);
  if (frame) {
    for (const file of [truth, pred]) {
      if (!file) continue;
      const cfg = readInfoCfg(join(dirname(file), "Info.cfg"));
      if (!cfg) continue;
      const n = Number(frame[1]);
      if (cfg.ED === n) return "ED";
      if (cfg.ES === n) return "ES";
    }
  }
  const token = /(?:^|[_\-.])(ED|ES)(?=$|[_\-.])/i.exec(id);
  return token ? (token[1].toUpperCase() as Phase) : null;
}

/** ACDC's Info.cfg ("ED: 1", "ES: 12", …); null when absent or without ED/ES. */
export function readInfoCfg(path: string): { ED: number; ES: number } | null {
  if (!existsSync(path)) return null;
  const values: Record<string, number> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*(\w+)\s*:\s*([-+\d.eE]+)\s*$/.exec(line);
    if (m) values[m[1].toUpperCase()] = Number(m[2]);
  }
  return Number.isInteger(values.ED) && Number.isInteger(values.ES) ? { ED: values.ED, ES: values.ES } : null;
}
