// dciodvfy.ts — runs dicom3tools' IOD validator (Debian package dicom3tools, installed by
// scripts/setup.mjs) and tells the errors a written object inherits from its source images from
// its own. An error is inherited when the validator reports the identical value, for the identical
// reason, in a source instance: references and copied patient/study attributes repeat the source's
// values exactly (a UID with a leading zero in a component stays as it is). The summary line
// "dataset contains invalid data values" is inherited when every value error it sums up is.
// Everything else (a missing or empty Type 1/2 attribute, a bad value of our own) is the object's own.
import { spawnSync } from "node:child_process";

const VALUE_ERROR = /^Error - Value invalid for this VR - \(0x[0-9a-f]{4},0x[0-9a-f]{4}\) .*? = <(.*)> - (.*)$/;
const VALUE_SUMMARY = "Error - Dicom dataset contains invalid data values for Value Representations";

/** false when dciodvfy runs here, else the reason to skip (node:test prints it). */
export function dciodvfyMissing(): string | false {
  const r = spawnSync("dciodvfy", ["-help"], { encoding: "utf8" });
  return r.error ? "dciodvfy not installed (Debian package dicom3tools; `npm test` installs it via scripts/setup.mjs when run as root)" : false;
}

/** The validator's messages (stdout and stderr; it writes its report to stderr). */
export function dciodvfy(file: string): string[] {
  const r = spawnSync("dciodvfy", [file], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return `${r.stdout}\n${r.stderr}`.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

/** "value - reason" of a value error, the key inherited errors are matched by. */
function valueKey(line: string): string | undefined {
  const m = VALUE_ERROR.exec(line);
  return m ? `<${m[1]}> - ${m[2]}` : undefined;
}

/** The object's own errors: `report` minus what the validator also reports in `sourceReports`. */
export function ownErrors(report: readonly string[], sourceReports: readonly (readonly string[])[]): string[] {
  const inherited = new Set(sourceReports.flat().map(valueKey).filter((k): k is string => k !== undefined));
  const errors = report.filter((l) => l.startsWith("Error"));
  const own = errors.filter((l) => l !== VALUE_SUMMARY && !inherited.has(valueKey(l) ?? "\0"));
  const summed = errors.filter((l) => valueKey(l) !== undefined);
  const ownSummary = summed.length === 0 || own.some((l) => valueKey(l) !== undefined);
  if (errors.includes(VALUE_SUMMARY) && ownSummary) own.push(VALUE_SUMMARY);
  return [...new Set(own)];
}
