// series.ts owns folders of DICOM files: reading every header, grouping instances into series,
// stacks, slice positions along the normal and cine phases (TemporalPositionIdentifier, else
// TriggerTime, else InstanceNumber), and loading each (series, stack, phase) as one volume.
// A series is keyed by patient, study, SeriesInstanceUID and frame of reference together — never
// by the series UID alone, which careless anonymisation or copying can give two patients — and a
// stack by image size, orientation and pixel spacing. A bad file (or a bad stack) is reported,
// never fatal: every good series in the folder is still returned.
import { walkFiles } from "../../util/walk.js";
import { pushAll } from "../../util/array.js";
import { IoError, messageOf } from "../errors.js";
import type { ImageVolume } from "../image.js";
import { along, sliceGeometry } from "./geometry.js";
import { readInstance, type DicomInstance } from "./header.js";
import { checkPixelsPresent } from "./pixels.js";
import { parseFile, readDicomFile, stackVolume } from "./read.js";

export interface DicomFileError {
  readonly file: string;
  readonly message: string;
}

/** One volume's worth of instances: slices ordered along the normal (a multi-frame file is one slice entry). */
export interface DicomVolumeRef {
  readonly stack: number;
  readonly phase: number;
  readonly phases: number;
  readonly slices: readonly DicomInstance[];
}

export interface DicomSeries {
  readonly seriesInstanceUID: string;
  readonly studyInstanceUID: string;
  readonly description: string;
  readonly modality: string;
  readonly seriesNumber?: number;
  readonly instances: readonly DicomInstance[];
  readonly volumes: readonly DicomVolumeRef[];
}

export interface DicomScan {
  readonly series: DicomSeries[];
  /** Files (or stacks) that could not be used, each naming the file. */
  readonly errors: DicomFileError[];
  /** Things that were handled but are worth saying (a series UID shared by two patients, uneven phases). */
  readonly warnings: string[];
}

/** Two slices closer than this along the normal are the same position (different phases). */
const SAME_POSITION_MM = 0.01;

export function scanDicomFolder(dir: string): DicomScan {
  let walk;
  try {
    walk = walkFiles(dir);
  } catch (err) {
    throw new IoError(dir, messageOf(err).replace(`${dir}: `, ""));
  }
  const scan = scanDicomFiles(walk.files);
  return { ...scan, errors: [...walk.problems.map((p) => ({ file: p.path, message: p.message })), ...scan.errors] };
}

export function scanDicomFiles(files: readonly string[]): DicomScan {
  const errors: DicomFileError[] = [];
  const warnings: string[] = [];
  const instances: DicomInstance[] = [];
  for (const file of files) {
    try {
      const parsed = parseFile(file);
      const inst = readInstance(parsed);
      checkPixelsPresent(parsed.dataSet, inst);
      sliceGeometry(inst); // orientation and spacing, checked per file so one bad file fails alone
      instances.push(inst);
    } catch (err) {
      errors.push(toFileError(file, err));
    }
  }
  const series = groupSeries(instances, errors, warnings);
  return { series, errors, warnings };
}

/** Loads one volume per series, stack and cine phase; failures go to `onError` (default: stderr). */
export function loadDicomSeries(input: string | readonly string[],
  options: { onError?: (e: DicomFileError) => void; onWarning?: (message: string) => void } = {}): ImageVolume[] {
  const report = options.onError ?? ((e: DicomFileError) => process.stderr.write(`warning: ${e.message}\n`));
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const scan = typeof input === "string" ? scanDicomFolder(input) : scanDicomFiles(input);
  scan.errors.forEach(report);
  scan.warnings.forEach(warn);
  const out: ImageVolume[] = [];
  for (const s of scan.series) {
    for (const ref of s.volumes) {
      try {
        out.push(loadVolume(ref));
      } catch (err) {
        report(toFileError(ref.slices[0].file, err));
      }
    }
  }
  return out;
}

export function loadVolume(ref: DicomVolumeRef): ImageVolume {
  const extra = { phase: ref.phase, phases: ref.phases, stack: ref.stack };
  if (ref.slices.length === 1 && ref.slices[0].frames > 1) {
    const v = readDicomFile(ref.slices[0].file);
    return { ...v, meta: { ...v.meta, ...extra } };
  }
  return stackVolume(ref.slices, extra);
}

function toFileError(file: string, err: unknown): DicomFileError {
  if (err instanceof IoError) return { file: err.file, message: err.message };
  return { file, message: `${file}: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * Series by patient, study, series UID and frame of reference; a UID shared by several is said.
 * A frame of reference splits a series only when it groups instances: some anonymisers give every
 * file its own FrameOfReferenceUID (the Sunnybrook data do), and that says nothing about geometry.
 */
function groupSeries(instances: readonly DicomInstance[], errors: DicomFileError[], warnings: string[]): DicomSeries[] {
  const uidOf = (inst: DicomInstance): string => inst.seriesInstanceUID || `(no SeriesInstanceUID) ${inst.file}`;
  const bySeries = groupBy(instances, (inst) => JSON.stringify([inst.patientId, inst.patientName, inst.studyInstanceUID, uidOf(inst)]));
  const groups: DicomInstance[][] = [];
  for (const list of bySeries) {
    const byFrame = groupBy(list, (inst) => inst.frameOfReferenceUID);
    if (byFrame.length > 1 && byFrame.every((g) => g.length === 1)) {
      warnings.push(`${list[0].file}: every instance of series ${uidOf(list[0])} has its own FrameOfReferenceUID; ignored, slices stacked by their geometry`);
      groups.push(list);
    } else {
      pushAll(groups, byFrame);
    }
  }
  const perUid = new Map<string, number>();
  for (const g of groups) perUid.set(uidOf(g[0]), (perUid.get(uidOf(g[0])) ?? 0) + 1);
  for (const [uid, n] of perUid) {
    if (n > 1) warnings.push(`SeriesInstanceUID ${uid} is used by ${n} different patients, studies or frames of reference; loaded as ${n} separate series`);
  }
  return groups.map((list) => {
    const first = list[0];
    return {
      seriesInstanceUID: uidOf(first), studyInstanceUID: first.studyInstanceUID,
      description: first.seriesDescription, modality: first.modality, seriesNumber: first.seriesNumber, instances: list,
      volumes: splitVolumes(list, errors, warnings),
    };
  });
}

/** Items grouped by key, groups in order of first appearance. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

/** Stacks by size, orientation and pixel spacing; multi-frame files stand alone. A bad stack is reported alone. */
function splitVolumes(list: readonly DicomInstance[], errors: DicomFileError[], warnings: string[]): DicomVolumeRef[] {
  const stacks = new Map<string, DicomInstance[]>();
  const out: DicomVolumeRef[] = [];
  for (const inst of list) {
    if (inst.frames > 1) {
      out.push({ stack: -1, phase: 0, phases: 1, slices: [inst] });
      continue;
    }
    const fixed = (v: readonly number[] | undefined): string => (v ?? []).map((x) => x.toFixed(4)).join(",");
    const key = `${inst.cols}x${inst.rows} ${fixed(inst.orientation)} ${fixed(inst.pixelSpacing)}`;
    const members = stacks.get(key);
    if (members) members.push(inst);
    else stacks.set(key, [inst]);
  }
  let stackIndex = 0;
  for (const members of stacks.values()) {
    try {
      for (const ref of phasesOf(members, stackIndex, warnings)) out.push(ref);
      stackIndex++;
    } catch (err) {
      errors.push(toFileError(members[0].file, err));
    }
  }
  let standalone = stackIndex;
  return out.map((v) => (v.stack === -1 ? { ...v, stack: standalone++ } : v));
}

function phasesOf(members: readonly DicomInstance[], stack: number, warnings: string[]): DicomVolumeRef[] {
  const g = sliceGeometry(members[0]);
  const sorted = members
    .map((m) => ({ m, d: along(g, m.position ?? [0, 0, 0]) }))
    .sort((a, b) => a.d - b.d);
  const positions: DicomInstance[][] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const { m, d } of sorted) {
    if (d - last > SAME_POSITION_MM) positions.push([]);
    positions[positions.length - 1].push(m);
    last = d;
  }
  for (const p of positions) p.sort(byTime);
  let phases = Infinity, most = 0;
  for (const p of positions) {
    phases = Math.min(phases, p.length);
    most = Math.max(most, p.length);
  }
  if (phases !== most) {
    warnings.push(`${members[0].file}: series ${members[0].seriesInstanceUID} has ${phases} to ${most} images per slice position; loading ${phases} phases`);
  }
  return Array.from({ length: phases }, (_, phase) => ({ stack, phase, phases, slices: positions.map((p) => p[phase]) }));
}

function byTime(a: DicomInstance, b: DicomInstance): number {
  return timeKey(a) - timeKey(b) || (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || a.file.localeCompare(b.file);
}

function timeKey(i: DicomInstance): number {
  return i.temporalPosition ?? i.triggerTime ?? i.instanceNumber ?? 0;
}
