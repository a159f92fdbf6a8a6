// ablate.ts owns `cardioseg ablate`: one base config, a list of named changes (config overrides),
// each trained and evaluated on the same cross-validation fold(s) with the same run length, as
// resumable stages (each change is a cv.ts run in OUT/<change>/), then one table: change,
// validation mean Dice (per structure at ED and ES), HD95, it/s — OUT/ablation.md and .json.
//
// The changes file (YAML), in the order the table lists them (the first is the reference the
// "Δ vs first" column compares with, so put the baseline first):
//   baseline: {}
//   no-augment:
//     data.augment: false
//   aux-head: { model.auxLoss: true, loss.auxWeight: 0.4 }
// Keys are dotted config keys (or nested mappings); values are YAML values.
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { readInputText } from "../io/errors.js";
import { loadConfigFile } from "../train/config.js";
import { writeFileAtomic } from "../util/fs.js";
import { foldOverrides, pooledRow, runFolds, type FoldsOptions } from "./cv.js";
import { markdownTable, type ResultRow } from "./table.js";

export interface Change {
  name: string;
  /** key=value overrides, as on the train command line. */
  overrides: string[];
}

export interface AblationOptions extends Omit<FoldsOptions, "out" | "only"> {
  /** The changes file (YAML mapping name -> overrides). */
  changes: string;
  out: string;
  /** Folds every change runs (default [0]: fold 0 of `folds`). */
  only?: readonly number[];
}

export interface AblationResult {
  rows: ResultRow[];
  complete: boolean;
  markdown: string;
  json: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Flatten {a: {b: 1}, "c.d": true} into ["a.b=1", "c.d=true"] (values as JSON, which YAML reads back). */
function flatten(value: unknown, prefix: string, where: string): string[] {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k, where));
  }
  if (!prefix) throw new Error(`${where}: expected a mapping of config keys to values`);
  return [`${prefix}=${JSON.stringify(value)}`];
}

/** Read the changes file; every change is checked against the base config before anything runs. */
export function readChanges(path: string, baseConfig: string): Change[] {
  let doc: unknown;
  try {
    doc = parseYaml(readInputText(path, 16 << 20));
  } catch (err) {
    throw new Error(`${path}: cannot read the changes file (${(err as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc) || Object.keys(doc).length === 0) {
    throw new Error(`${path}: expected a mapping of change names to config overrides, e.g. "baseline: {}"`);
  }
  return Object.entries(doc as Record<string, unknown>).map(([name, value]) => {
    if (!NAME.test(name)) throw new Error(`${path}: change name "${name}" must be a folder name (letters, digits, . _ -)`);
    const overrides = value === null ? [] : flatten(value, "", `${path}: change "${name}"`);
    try {
      loadConfigFile(baseConfig, overrides);
    } catch (err) {
      throw new Error(`${path}: change "${name}": ${(err as Error).message}`);
    }
    return { name, overrides };
  });
}

export async function runAblation(o: AblationOptions): Promise<AblationResult> {
  const changes = readChanges(o.changes, o.config);
  const only = o.only ?? [0];
  for (const c of changes) loadConfigFile(o.config, foldOverrides({ ...o, overrides: [...(o.overrides ?? []), ...c.overrides] }, only[0] ?? 0));
  const rows: ResultRow[] = [];
  let complete = true;
  for (const change of changes) {
    o.log?.(`== change ${change.name}${change.overrides.length ? `: ${change.overrides.join(" ")}` : " (the base config)"}`);
    const r = await runFolds({ ...o, out: join(o.out, change.name), only, overrides: [...(o.overrides ?? []), ...change.overrides] });
    const row = pooledRow(change.name, r.folds, only.length);
    if (row) rows.push(row);
    if (!r.complete) {
      complete = false;
      break;
    }
  }
  return { rows, complete, ...writeAblation(o, changes, rows, only) };
}

function writeAblation(o: AblationOptions, changes: readonly Change[], rows: readonly ResultRow[], only: readonly number[]): { markdown: string; json: string } {
  const md = [
    "# Ablation",
    "",
    `base config ${o.config}${o.overrides?.length ? ` with ${o.overrides.join(" ")}` : ""}; data ${o.data}; `
      + `validation on fold(s) ${only.join(", ")} of ${o.folds} (patient-level, stratified by group); `
      + `${o.budget ? `time budget ${o.budget} per run` : "the config's run length"}${o.lcc ? "; evaluated with --lcc" : ""}${o.tta ? "; with --tta" : ""}.`,
    "it/s counts the training wall clock with validation and checkpoints; a change's folder under this one holds its runs and cv-summary.md.",
    "",
    markdownTable("change", rows, true),
    "Changes:",
    "",
    ...changes.map((c) => `- ${c.name}: ${c.overrides.length ? c.overrides.map((x) => `\`${x}\``).join(" ") : "the base config"}`),
    "",
  ].join("\n");
  const markdown = join(o.out, "ablation.md"), json = join(o.out, "ablation.json");
  writeFileAtomic(markdown, md);
  writeFileAtomic(json, `${JSON.stringify({ settings: { config: o.config, data: o.data, folds: o.folds, only, budget: o.budget ?? null, overrides: o.overrides ?? [] }, changes, rows }, null, 1)}\n`);
  return { markdown, json };
}
