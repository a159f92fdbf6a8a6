// src/eval/files.ts — pairs prediction files with truth files by name and works out each case's
// cardiac phase, for `cardioseg score`. A prediction X.nii.gz matches X_gt.nii.gz (preferred,
// ACDC's naming) or X.nii.gz anywhere under the truth folder. The phase comes from ACDC's
// Info.cfg beside either file (frame number equal to its ED or ES entry), else from an ED/ES
// token in the name.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseAcdcInfo } from "../io/datasets/index.js";
import { IoError, readInputText } from "../io/errors.js";
import { walkFiles } from "../util/walk.js";
import type { Phase } from "./score.js";

const NIFTI_EXT = /\.nii(\.gz)?$/i;
const TRUTH_SUFFIX = /_gt\.nii(\.gz)?$/i;

export interface CaseFiles {
  id: string;
  pred: string;
  /** null when no truth file matches. */
  truth: string | null;
  phase: Phase | null;
}

export interface MatchedFolders {
  /** One per prediction file, in path order. */
  cases: CaseFiles[];
  /** Ground-truth cases no prediction matched: scoring without them would average a subset. */
  unpredicted: { id: string; truth: string }[];
  /** What could not be used, one "what: why" line each (dangling links, clashing names…). */
  problems: string[];
}

/** Every .nii/.nii.gz file under `dir`, recursively, sorted; hidden entries are skipped. */
export function listNifti(dir: string): string[] {
  return walkNifti(dir).files;
}

function walkNifti(dir: string): { files: string[]; problems: string[] } {
  let walk;
  try {
    walk = walkFiles(dir, { accept: (name) => NIFTI_EXT.test(name) });
  } catch (err) {
    throw new IoError(dir, (err instanceof Error ? err.message : String(err)).replace(`${dir}: `, ""));
  }
  return { files: walk.files, problems: walk.problems.map((p) => p.message) };
}

export function caseIdOf(file: string): string {
  return basename(file).replace(NIFTI_EXT, "");
}

/** Pairs every prediction under predDir with its truth file under gtDir (see matchFolders). */
export function matchCases(predDir: string, gtDir: string): CaseFiles[] {
  const m = matchFolders(predDir, gtDir);
  if (m.problems.length > 0) throw new Error(m.problems[0]);
  return m.cases;
}

/**
 * Pairs predictions with truth files and lists the truth cases nobody predicted. The truth cases
 * are the `X_gt.nii(.gz)` files when the truth folder has any (ACDC keeps images beside them),
 * else every NIfTI file there.
 */
export function matchFolders(predDir: string, gtDir: string): MatchedFolders {
  const truthWalk = walkNifti(gtDir), predWalk = walkNifti(predDir);
  const problems = [...predWalk.problems, ...truthWalk.problems];
  const truthByName = new Map<string, string[]>();
  for (const f of truthWalk.files) {
    const key = basename(f).toLowerCase();
    truthByName.set(key, [...(truthByName.get(key) ?? []), f]);
  }
  if (predWalk.files.length === 0 && predWalk.problems.length === 0) throw new IoError(predDir, "no .nii or .nii.gz files");
  const seen = new Map<string, string>();
  const used = new Set<string>();
  const cases: CaseFiles[] = [];
  for (const pred of predWalk.files) {
    const id = caseIdOf(pred);
    const earlier = seen.get(id);
    if (earlier) {
      problems.push(`case ${id}: two predictions share the name (${earlier} and ${pred})`);
      continue;
    }
    seen.set(id, pred);
    try {
      const truth = findTruth(id, truthByName);
      if (truth) used.add(truth);
      cases.push({ id, pred, truth, phase: phaseOf(id, truth, pred) });
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  const labelled = truthWalk.files.filter((f) => TRUTH_SUFFIX.test(f));
  const truthCases = labelled.length > 0 ? labelled : truthWalk.files;
  const unpredicted = truthCases.filter((f) => !used.has(f) && !seen.has(caseIdOf(f).replace(/_gt$/i, "")))
    .map((truth) => ({ id: caseIdOf(truth).replace(/_gt$/i, ""), truth }));
  return { cases, unpredicted, problems };
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

/**
 * ACDC's Info.cfg ("ED: 1", "ES: 12", …) through the data set reader's parser; null when absent.
 * A folder or an unreadable file in its place, or a bad ED/ES, is an IoError naming it.
 */
export function readInfoCfg(path: string): { ED: number; ES: number } | null {
  if (!existsSync(path)) return null;
  const info = parseAcdcInfo(readInputText(path, 1 << 20), path);
  return { ED: info.ed, ES: info.es };
}
