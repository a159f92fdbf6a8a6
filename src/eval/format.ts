// src/eval/format.ts — the score report as aligned plain-text tables for the terminal
// (the founding note's metric table first, then per-structure case scores and clinical agreement).
import type { Num, ScoreReport } from "./score.js";

/** deeplab-pytorch printed frequency-weighted IoU as "FreqW Acc"; we print the honest name. */
export const FREQW_LABEL = "FreqW IoU (deeplab-pytorch's 'FreqW Acc')";

export function fmt(x: Num | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

/** Renders rows as a boxed table; the first row is the header, numbers are right-aligned. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => rows.reduce((w, r) => Math.max(w, (r[c] ?? "").length), 0));
  const numeric = /^-?[\d.]+$|^n\/a$/;
  const line = (l: string, m: string, r: string): string => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const body = rows.map((r) =>
    "│" + widths.map((w, c) => {
      const cell = r[c] ?? "";
      return " " + (numeric.test(cell) ? cell.padStart(w) : cell.padEnd(w)) + " ";
    }).join("│") + "│");
  return [line("┌", "┬", "┐"), body[0], line("├", "┼", "┤"), ...body.slice(1), line("└", "┴", "┘")].join("\n");
}

export function formatScoreReport(r: ScoreReport): string {
  const parts: string[] = [];
  parts.push(textTable([
    ["Metric", "Value"],
    ["Overall Acc", fmt(r.overall_acc)],
    ["Mean Acc", fmt(r.mean_acc)],
    [FREQW_LABEL, fmt(r.freqw_iou)],
    ["Mean IoU", fmt(r.mean_iou)],
    ["Mean Dice", fmt(r.mean_dice)],
  ]));
  parts.push(textTable([
    ["Class", "IoU", "Dice", "Acc"],
    ...r.classes.map((name) => [name, fmt(r.per_class[name].iou), fmt(r.per_class[name].dice), fmt(r.per_class[name].acc)]),
  ]));
  parts.push(structureTable(r));
  if (r.clinical) parts.push(clinicalTable(r));
  const undefinedCount = r.summary.all ? Object.values(r.summary.all).reduce((a, s) => a + s.n_distance_undefined, 0) : 0;
  const notes = [`${r.cases.length} cases scored`];
  const unannotated = r.summary.all ? Object.entries(r.summary.all).filter(([, s]) => (s.n_unannotated ?? 0) > 0) : [];
  if (unannotated.length > 0) {
    notes.push(`not scored where not annotated (partial labels): ${unannotated.map(([name, s]) => `${name} on ${s.n_unannotated} case(s)`).join(", ")}`);
  }
  if (undefinedCount > 0) notes.push(`${undefinedCount} structure distances undefined (structure empty on one side only; left out of the means)`);
  if (r.skipped.length > 0) notes.push(`${r.skipped.length} skipped: ${r.skipped.map((s) => `${s.id} (${s.reason})`).join("; ")}`);
  parts.push(notes.join("\n"));
  return parts.join("\n\n");
}

function structureTable(r: ScoreReport): string {
  const rows: string[][] = [["Phase", "Structure", "n", "Dice", "HD95 mm", "ASSD mm", "dist. undef."]];
  for (const [phase, byStructure] of Object.entries(r.summary)) {
    for (const [name, s] of Object.entries(byStructure)) {
      rows.push([phase, name, String(s.n), fmt(s.dice_mean), fmt(s.hd95_mm_mean, 2), fmt(s.assd_mm_mean, 2), String(s.n_distance_undefined)]);
    }
  }
  return textTable(rows);
}

function clinicalTable(r: ScoreReport): string {
  const rows: string[][] = [["Clinical index", "n", "Pearson r", "Bias", "LoA low", "LoA high"]];
  for (const [index, a] of Object.entries(r.clinical?.agreement ?? {})) {
    rows.push([index, fmt(a.n, 0), fmt(a.pearson_r, 3), fmt(a.bias, 2), fmt(a.loa_low, 2), fmt(a.loa_high, 2)]);
  }
  return textTable(rows);
}
