// json.ts — reading JSON inputs (score files, checkpoint sidecars, run logs) against a schema:
// zod describes what each file must hold, and any deviation becomes an IoError naming the file
// and the field ("scores.json: cases[3].dice.LV: expected number or null, got string"), never a
// TypeError deep inside whatever reads the value later.
import type { ZodType } from "zod";
import { IoError, readInputText } from "./errors.js";

/** JSON files cardioseg reads are small; larger ones are refused before parsing. */
export const MAX_JSON_BYTES = 256 << 20;

/** `value` checked against `schema`; the first problems (up to 3) name their field. */
export function checkJson<T>(value: unknown, schema: ZodType<T>, file: string, what = "JSON"): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((i) => `${fieldPath(i.path)}: ${i.message}`);
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
  throw new IoError(file, `not a valid ${what}: ${issues.join("; ")}${more}`);
}

/** Parses JSON text; a syntax error is an IoError naming the file. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new IoError(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Reads, parses and checks a JSON file. */
export function readJsonFile<T>(path: string, schema: ZodType<T>, what?: string): T {
  return checkJson(parseJsonText(readInputText(path, MAX_JSON_BYTES), path), schema, path, what);
}

/** `cases[3].dice.LV` from zod's path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}
