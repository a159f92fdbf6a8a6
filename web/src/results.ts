// web/src/results.ts — what the results panel shows, computed from the page's label maps with
// cardioseg's own metric code (bundled from src/eval, not rewritten): structure volumes per frame
// and the clinical indices (src/eval/clinical.ts, the computation `cardioseg score` reports), ED/ES
// (from the file, else largest/smallest LV volume, else the user's choice), and Dice per structure
// against ground truth (src/eval/confusion.ts). The volume curve is drawn by src/report's chart code.
import { clinicalValues, edEsFromLvVolumes, phaseVolumes, type ClinicalIndex, type ClinicalValues, type PhaseVolumes } from "../../src/eval/clinical.js";
import { ConfusionMatrix, summaryScores } from "../../src/eval/confusion.js";
import { layoutChart } from "../../src/report/chart.js";
import { chartSvg } from "../../src/report/svg.js";
import type { StudyInfo } from "./api.js";

export interface EdEsChoice { ed: number; es: number; from: string }

export interface Results {
  volumes: (PhaseVolumes | undefined)[];
  edEs: EdEsChoice | null;
  clinical: ClinicalValues | null;
  /** Per frame with ground truth: Dice per structure name. */
  dice: (Record<string, number> | undefined)[];
}

export function computeResults(
  study: StudyInfo, classNames: readonly string[], labels: readonly (Uint8Array | undefined)[],
  truth: readonly (Uint8Array | null | undefined)[], override: { ed: number; es: number } | null,
): Results {
  const volumes = labels.map((l) => (l ? phaseVolumes(l, study.spacing, classNames) : undefined));
  let edEs: EdEsChoice | null = null;
  if (override) edEs = { ...override, from: "chosen" };
  else if (study.edEs) edEs = study.edEs;
  else {
    const auto = edEsFromLvVolumes(volumes.map((v) => v?.LV));
    if (auto) edEs = { ...auto, from: "largest / smallest LV volume" };
  }
  const clinical = edEs && volumes[edEs.ed] && volumes[edEs.es] ? clinicalValues(volumes[edEs.ed], volumes[edEs.es]) : null;
  const dice = labels.map((l, t) => {
    const gt = truth[t];
    if (!l || !gt) return undefined;
    const m = new ConfusionMatrix(classNames.length);
    m.add(gt, l);
    const per = summaryScores(m).per_class;
    return Object.fromEntries(classNames.slice(1).map((name, i) => [name, per[i + 1].dice]));
  });
  return { volumes, edEs, clinical, dice };
}

export const CLINICAL_ROWS: readonly { index: ClinicalIndex; label: string; unit: string }[] = [
  { index: "lv_edv_ml", label: "LV EDV", unit: "mL" }, { index: "lv_esv_ml", label: "LV ESV", unit: "mL" },
  { index: "lv_ef_pct", label: "LV EF", unit: "%" }, { index: "rv_edv_ml", label: "RV EDV", unit: "mL" },
  { index: "rv_esv_ml", label: "RV ESV", unit: "mL" }, { index: "rv_ef_pct", label: "RV EF", unit: "%" },
  { index: "myo_mass_g", label: "LV mass", unit: "g" },
];

/** Stroke volume (EDV - ESV) of a ventricle, from the same clinical values. */
export function strokeVolume(c: ClinicalValues, side: "lv" | "rv"): number | null {
  const edv = c[`${side}_edv_ml`], esv = c[`${side}_esv_ml`];
  return edv === null || esv === null ? null : edv - esv;
}

export function fmt(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

/**
 * RV and LV volume over the frames as an inline SVG chart (src/report's chart layout; its palette
 * draws RV blue and LV red, as the overlay does).
 */
export function volumeChartSvg(volumes: readonly (PhaseVolumes | undefined)[], width: number, height: number): string {
  const series = ["RV", "LV"].map((name) => ({
    name: `${name} mL`,
    points: volumes.flatMap((v, t) => (v && name in v ? [[t, v[name]] as const] : [])),
  })).filter((s) => s.points.length > 0);
  if (series.length === 0) return "";
  return chartSvg(layoutChart({ title: "Volume over the cycle", xLabel: "frame", series, width, height }));
}
