// study.ts owns the study-level outputs of `cardioseg predict`. The frames of one cine (the phases
// of a DICOM series stack, or the frames of a 4D NIfTI) are collected as they are predicted; when
// a cine is complete it gets, with --seg-per study (the default), one multi-frame DICOM SEG for
// all its phases (DICOM inputs), and when its study is complete, OUT/<study>/study.json and a line
// on the console: per-frame structure volumes, the ED and ES frames (--ed/--es, else ACDC's
// Info.cfg beside the input, else the frames of largest and smallest LV volume) and the clinical
// indices, computed by src/eval/clinical.ts exactly as the score computes them.
//
//   OUT/<study>/study.json   {"study", "input", "series" (the cine's group in its study, or null),
//                             "classes", "frames": [{"frame", "name", "trigger_time_ms", "volume_ml":
//                             {structure: mL}}], "ed_frame", "es_frame", "ed_es_from": {"ed", "es"}
//                             ("user" | "Info.cfg" | "LV volume"), "indices": {"lv_edv_ml",
//                             "lv_esv_ml", "lv_sv_ml", "lv_ef_pct", "rv_edv_ml", "rv_esv_ml",
//                             "rv_sv_ml", "rv_ef_pct", "myo_mass_g"}, "seg", "notes"}
//   OUT/<study>/seg.dcm      one SEG per cine (seg_<series>.dcm when a study holds several series)
// Frames are numbered from 0 in temporal order, as the per-frame outputs' _tNN / _phaseNN names.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeDicomSeg, type DicomSegSource } from "../io/dicom/index.js";
import { parseAcdcInfo } from "../io/datasets/acdc.js";
import { readInputText } from "../io/errors.js";
import type { ImageVolume, LabelVolume } from "../io/image.js";
import { cineIndices, edEsFromLvVolumes, phaseVolumes, type CineIndices, type PhaseVolumes } from "../eval/clinical.js";
import { writeFileAtomic } from "../util/fs.js";
import type { PredictItem } from "./inputs.js";
import { pushAll } from "../util/array.js";

export const SEG_PER = ["study", "phase"] as const;
export type SegPer = (typeof SEG_PER)[number];
export type EdEsSource = "user" | "Info.cfg" | "LV volume";

export interface StudyOptions {
  out: string;
  classNames: readonly string[];
  /** Write DICOM SEGs (format seg), one per cine ("study") or per frame ("phase", by predict itself). */
  seg: SegPer | false;
  /** User's ED / ES frame (0-based), overriding Info.cfg and the LV volume rule. */
  ed?: number;
  es?: number;
  log: (line: string) => void;
}

export interface StudyFrameJson {
  frame: number;
  name: string;
  trigger_time_ms: number | null;
  volume_ml: PhaseVolumes;
}

export interface StudyJson {
  study: string;
  input: string;
  series: string | null;
  classes: string[];
  frames: StudyFrameJson[];
  ed_frame: number | null;
  es_frame: number | null;
  ed_es_from: { ed: EdEsSource | null; es: EdEsSource | null };
  indices: CineIndices;
  seg: string | null;
  notes: string[];
}

/** What predict-summary.json lists per study. */
export interface StudyResult {
  study: string;
  input: string;
  files: string[];
  summary?: string;
}

interface Cine {
  readonly study: StudyEntry;
  readonly label: string;
  readonly frames: (StudyFrameJson | undefined)[];
  readonly labels: (LabelVolume | undefined)[];
  readonly failed: number[];
  slices: number;
  segSource?: DicomSegSource;
  seg?: string;
  complete: boolean;
}

interface StudyEntry {
  readonly folder: string;
  readonly input: string;
  readonly cines: Cine[];
  readonly files: string[];
}

export class StudyOutputs {
  readonly results: StudyResult[] = [];
  readonly failures: { input: string; message: string }[] = [];
  private readonly cines = new Map<string, Cine>();
  private readonly summaryText = new Map<StudyEntry, string>();

  constructor(items: readonly PredictItem[], private readonly o: StudyOptions) {
    const folders = new Map<string, StudyEntry>();
    const used = new Set<string>();
    for (const it of items) {
      const m = it.cine;
      if (!m || this.cines.has(m.group)) continue;
      const studyKey = `${it.input}\u0000${m.study}`;
      let study = folders.get(studyKey);
      if (!study) {
        let folder = m.study, n = 1;
        while (used.has(folder)) folder = `${m.study}_${++n}`;
        used.add(folder);
        folders.set(studyKey, (study = { folder, input: it.input, cines: [], files: [] }));
      }
      const cine: Cine = {
        study, label: m.label, frames: new Array(m.frames).fill(undefined), labels: [], failed: [], slices: 0, complete: false,
      };
      study.cines.push(cine);
      this.cines.set(m.group, cine);
    }
  }

  /** Records a predicted frame; returns the study files this completed (SEG, study.json). */
  add(item: PredictItem, image: ImageVolume, labels: LabelVolume): string[] {
    const cine = item.cine ? this.cines.get(item.cine.group) : undefined;
    if (!cine || !item.cine) return [];
    const t = item.cine.frame;
    const trigger = Number(image.meta.triggerTime);
    cine.frames[t] = {
      frame: t, name: item.name, trigger_time_ms: Number.isFinite(trigger) ? trigger : null,
      volume_ml: phaseVolumes(labels.data, labels.spacing, this.o.classNames),
    };
    cine.slices = Math.max(cine.slices, labels.dims[2] ?? 1);
    if (this.o.seg === "study" && item.kind === "dicom") {
      cine.labels[t] = labels;
      cine.segSource = item.segSource;
    }
    return this.settle(cine);
  }

  /** Records a frame that could not be predicted; its cine gets no SEG and no summary. */
  failed(item: PredictItem): string[] {
    const cine = item.cine ? this.cines.get(item.cine.group) : undefined;
    if (!cine || !item.cine) return [];
    cine.failed.push(item.cine.frame);
    return this.settle(cine);
  }

  private settle(cine: Cine): string[] {
    if (cine.complete || cine.frames.some((f, t) => f === undefined && !cine.failed.includes(t))) return [];
    cine.complete = true;
    const files: string[] = [];
    const study = cine.study;
    if (cine.failed.length === 0 && cine.labels.length > 0) {
      try {
        files.push(this.writeSeg(cine));
      } catch (err) {
        this.fail(study, `${this.cineName(cine)}: no SEG: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    cine.labels.length = 0;
    if (cine.failed.length > 0 && cine.frames.length > 1) {
      const what = this.o.seg === "study" ? "no study SEG or summary" : "no summary";
      this.fail(study, `${this.cineName(cine)}: frame(s) ${cine.failed.join(", ")} failed; ${what} for it`);
    }
    if (study.cines.every((c) => c.complete)) pushAll(files, this.summarise(study));
    pushAll(study.files, files);
    if (study.cines.every((c) => c.complete) && study.files.length > 0) {
      this.results.push({ study: study.folder, input: study.input, files: study.files, ...this.summaryLine(study) });
    }
    return files;
  }

  private writeSeg(cine: Cine): string {
    const name = cine.study.cines.length === 1 ? "seg.dcm" : `seg_${cine.label || cine.study.cines.indexOf(cine) + 1}.dcm`;
    const path = join(this.o.out, cine.study.folder, name);
    writeDicomSeg(path, cine.labels as LabelVolume[], cine.segSource, this.o.classNames);
    cine.seg = path;
    return path;
  }

  private summaryLine(study: StudyEntry): { summary?: string } {
    const s = this.summaryText.get(study);
    return s === undefined ? {} : { summary: s };
  }

  /** study.json for the study's cine (the one with the most slices when it holds several). */
  private summarise(study: StudyEntry): string[] {
    const cines = study.cines.filter((c) => c.frames.length > 1);
    if (cines.length === 0) return [];
    const cine = cines.reduce((best, c) => (c.slices > best.slices ? c : best));
    if (cine.failed.length > 0) return [];
    const notes = cines.filter((c) => c !== cine).map((c) => `also a cine, not summarised here: ${this.cineName(c)} (${c.frames.length} frames, ${c.slices} slices)`);
    const frames = cine.frames as StudyFrameJson[];
    let chosen;
    try {
      chosen = edEs(frames, study.input, this.o, notes);
    } catch (err) {
      this.fail(study, err instanceof Error ? err.message : String(err));
      return [];
    }
    const json: StudyJson = {
      study: study.folder, input: study.input, series: cine.label || null, classes: [...this.o.classNames], frames,
      ed_frame: chosen.ed, es_frame: chosen.es, ed_es_from: { ed: chosen.edFrom, es: chosen.esFrom },
      indices: cineIndices(chosen.ed === null ? undefined : frames[chosen.ed].volume_ml, chosen.es === null ? undefined : frames[chosen.es].volume_ml),
      seg: cine.seg === undefined ? null : basename(cine.seg), notes,
    };
    const path = join(this.o.out, study.folder, "study.json");
    writeFileAtomic(path, JSON.stringify(json, null, 1) + "\n");
    const line = studyLine(json);
    this.summaryText.set(study, line);
    this.o.log(`${line} -> ${path}`);
    return [path];
  }

  private cineName(c: Cine): string {
    return c.label ? `${c.study.folder} ${c.label}` : c.study.folder;
  }

  private fail(study: StudyEntry, message: string): void {
    this.failures.push({ input: study.input, message: `study ${study.folder}: ${message}` });
    this.o.log(`study ${study.folder}: ${message}`);
  }
}

interface EdEs {
  ed: number | null;
  es: number | null;
  edFrom: EdEsSource | null;
  esFrom: EdEsSource | null;
}

/** The ED and ES frames: the user's, else Info.cfg's (ACDC, 1-based), else largest / smallest LV volume. */
export function edEs(frames: readonly StudyFrameJson[], input: string, o: Pick<StudyOptions, "ed" | "es">, notes: string[]): EdEs {
  const n = frames.length;
  for (const [flag, v] of [["--ed", o.ed], ["--es", o.es]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < n)) throw new Error(`${flag} ${v} is not a frame of this cine (0..${n - 1})`);
  }
  const info = infoCfgFrames(input, n, notes);
  const lv = frames.map((f) => f.volume_ml.LV);
  const byVolume = lv.every((v) => v !== undefined);
  if (!byVolume && (o.ed === undefined || o.es === undefined) && !info) notes.push("no LV class: ED and ES cannot be found from volumes");
  const fromVolume = byVolume ? edEsFromLvVolumes(lv) : null;
  if (byVolume && !fromVolume && (o.ed === undefined || o.es === undefined) && !info) {
    notes.push("the LV volume is the same in every frame: ED and ES cannot be found from volumes");
  }
  const pick = (user: number | undefined, fromInfo: number | undefined, auto: number | undefined): [number | null, EdEsSource | null] => {
    if (user !== undefined) return [user, "user"];
    if (fromInfo !== undefined) return [fromInfo, "Info.cfg"];
    return auto === undefined ? [null, null] : [auto, "LV volume"];
  };
  const [ed, edFrom] = pick(o.ed, info?.ed, fromVolume?.ed);
  const [es, esFrom] = pick(o.es, info?.es, fromVolume?.es);
  return { ed, es, edFrom, esFrom };
}

/** ED/ES from an ACDC Info.cfg beside the input (or inside an input folder), as 0-based frames. */
function infoCfgFrames(input: string, frames: number, notes: string[]): { ed: number; es: number } | undefined {
  const path = statSync(input, { throwIfNoEntry: false })?.isDirectory() ? join(input, "Info.cfg") : join(dirname(input), "Info.cfg");
  if (!existsSync(path)) return undefined;
  try {
    const info = parseAcdcInfo(readInputText(path), path);
    if (Number.isInteger(info.nbFrame) && info.nbFrame !== frames) {
      notes.push(`${path} describes ${info.nbFrame} frames, the input has ${frames}: not used`);
      return undefined;
    }
    if (info.ed < 1 || info.ed > frames || info.es < 1 || info.es > frames) {
      notes.push(`${path}: ED ${info.ed} / ES ${info.es} outside frames 1..${frames}: not used`);
      return undefined;
    }
    return { ed: info.ed - 1, es: info.es - 1 };
  } catch (err) {
    notes.push(`${err instanceof Error ? err.message : String(err)}: not used`);
    return undefined;
  }
}

/** The console line: ED/ES and the indices, rounded for reading (study.json keeps full precision). */
export function studyLine(s: StudyJson): string {
  const f = (v: number | null, unit: string): string => (v === null ? "n/a" : `${v.toFixed(1)}${unit}`);
  const i = s.indices;
  const from = s.ed_es_from.ed === s.ed_es_from.es ? `${s.ed_es_from.ed}` : `${s.ed_es_from.ed}/${s.ed_es_from.es}`;
  return `study ${s.study}${s.series ? ` (${s.series})` : ""}: ${s.frames.length} frames, ED ${s.ed_frame ?? "n/a"}, ES ${s.es_frame ?? "n/a"} (${from}); `
    + `LV EDV ${f(i.lv_edv_ml, " mL")}, ESV ${f(i.lv_esv_ml, " mL")}, SV ${f(i.lv_sv_ml, " mL")}, EF ${f(i.lv_ef_pct, " %")}, `
    + `mass ${f(i.myo_mass_g, " g")}; RV EDV ${f(i.rv_edv_ml, " mL")}, ESV ${f(i.rv_esv_ml, " mL")}, SV ${f(i.rv_sv_ml, " mL")}, `
    + `EF ${f(i.rv_ef_pct, " %")}`;
}
