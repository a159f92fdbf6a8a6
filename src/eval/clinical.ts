// src/eval/clinical.ts — the clinical indices cardiologists read from a short-axis stack
// (ventricular volumes, ejection fractions, myocardial mass) and their agreement with truth.
// Needs the structures named LV (cavity), RV (cavity) and MYO (LV myocardium) in the class list
// and both the end-diastolic (ED) and end-systolic (ES) frame of a subject for EF. The score and
// predict's study summary (src/infer/study.ts) both compute volumes and indices here.
import { agreement, type Agreement } from "./stats.js";

/** Myocardial tissue density, g/mL (the value used by ACDC and most CMR software). */
export const MYOCARDIUM_DENSITY_G_PER_ML = 1.05;

export const CLINICAL_INDICES = ["lv_edv_ml", "lv_esv_ml", "lv_ef_pct", "rv_edv_ml", "rv_esv_ml", "rv_ef_pct", "myo_mass_g"] as const;
export type ClinicalIndex = (typeof CLINICAL_INDICES)[number];
export type ClinicalValues = Record<ClinicalIndex, number | null>;

/** Structure volumes (mL) of one phase, keyed by class name. */
export type PhaseVolumes = Record<string, number>;

export interface SubjectClinical {
  subject: string;
  pred: ClinicalValues;
  gt: ClinicalValues;
}

export interface ClinicalReport {
  subjects: SubjectClinical[];
  /** Per index: correlation, bias and Bland-Altman limits over subjects where both sides exist. */
  agreement: Partial<Record<ClinicalIndex, Agreement>>;
}

/** Volume of one voxel in mL from the voxel size along i, j, k in mm. */
export function voxelVolumeMl(spacing: readonly number[]): number {
  return (spacing[0] * spacing[1] * spacing[2]) / 1000;
}

/** Indices from the ED and ES volumes of one subject; null where a phase or structure is absent. */
export function clinicalValues(ed: PhaseVolumes | undefined, es: PhaseVolumes | undefined): ClinicalValues {
  const vol = (p: PhaseVolumes | undefined, name: string): number | null => (p && name in p ? p[name] : null);
  const lvEdv = vol(ed, "LV"), lvEsv = vol(es, "LV"), rvEdv = vol(ed, "RV"), rvEsv = vol(es, "RV");
  const myo = vol(ed, "MYO");
  return {
    lv_edv_ml: lvEdv, lv_esv_ml: lvEsv, lv_ef_pct: ejectionFraction(lvEdv, lvEsv),
    rv_edv_ml: rvEdv, rv_esv_ml: rvEsv, rv_ef_pct: ejectionFraction(rvEdv, rvEsv),
    myo_mass_g: myo === null ? null : MYOCARDIUM_DENSITY_G_PER_ML * myo,
  };
}

/** Stroke volume, mL: EDV - ESV. */
export function strokeVolume(edv: number | null, esv: number | null): number | null {
  return edv === null || esv === null ? null : edv - esv;
}

function ejectionFraction(edv: number | null, esv: number | null): number | null {
  const sv = strokeVolume(edv, esv);
  if (sv === null || edv === null || edv <= 0) return null;
  return (100 * sv) / edv;
}

/** What a cine study summary reports: the clinical indices plus both stroke volumes. */
export type CineIndices = ClinicalValues & { lv_sv_ml: number | null; rv_sv_ml: number | null };

/** clinicalValues of the ED and ES frames of one cine, with the stroke volumes it derives EF from. */
export function cineIndices(ed: PhaseVolumes | undefined, es: PhaseVolumes | undefined): CineIndices {
  const v = clinicalValues(ed, es);
  return { ...v, lv_sv_ml: strokeVolume(v.lv_edv_ml, v.lv_esv_ml), rv_sv_ml: strokeVolume(v.rv_edv_ml, v.rv_esv_ml) };
}

export interface SubjectPhases {
  subject: string;
  pred: { ED?: PhaseVolumes; ES?: PhaseVolumes };
  gt: { ED?: PhaseVolumes; ES?: PhaseVolumes };
}

/** Clinical indices per subject and their agreement; null when no subject has an ED or ES phase. */
export function clinicalReport(subjects: readonly SubjectPhases[]): ClinicalReport | null {
  const rows: SubjectClinical[] = subjects
    .filter((s) => s.gt.ED || s.gt.ES)
    .map((s) => ({ subject: s.subject, pred: clinicalValues(s.pred.ED, s.pred.ES), gt: clinicalValues(s.gt.ED, s.gt.ES) }));
  if (rows.length === 0) return null;
  const agree: Partial<Record<ClinicalIndex, Agreement>> = {};
  for (const index of CLINICAL_INDICES) {
    const p: number[] = [], t: number[] = [];
    for (const r of rows) {
      const a = r.pred[index], b = r.gt[index];
      if (a !== null && b !== null && Number.isFinite(a) && Number.isFinite(b)) { p.push(a); t.push(b); }
    }
    if (p.length > 0) agree[index] = agreement(p, t);
  }
  return { subjects: rows, agreement: agree };
}

/**
 * Structure volumes (mL) of one label map: voxels of each named class (value = index in
 * `classNames`; index 0, background, is skipped) times the voxel volume — the volume_ml that
 * src/eval/score.ts reports per case, computed without the surface metrics.
 */
export function phaseVolumes(labels: ArrayLike<number>, spacing: readonly number[], classNames: readonly string[]): PhaseVolumes {
  const counts = new Float64Array(256);
  for (let i = 0; i < labels.length; i++) counts[labels[i] & 255]++;
  const voxelMl = voxelVolumeMl(spacing);
  const out: PhaseVolumes = {};
  for (let c = 1; c < classNames.length; c++) out[classNames[c]] = counts[c] * voxelMl;
  return out;
}

/**
 * ED and ES when no file says which frames they are: the frames with the largest and the
 * smallest LV cavity volume (first on ties); null without two frames with an LV volume.
 */
export function edEsFromLvVolumes(lv: readonly (number | null | undefined)[]): { ed: number; es: number } | null {
  let ed = -1, es = -1;
  lv.forEach((v, t) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    if (ed < 0 || v > (lv[ed] as number)) ed = t;
    if (es < 0 || v < (lv[es] as number)) es = t;
  });
  return ed >= 0 && es >= 0 && ed !== es ? { ed, es } : null;
}
