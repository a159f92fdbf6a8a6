// series.ts owns folders of DICOM files: reading every header, grouping instances into series
// (SeriesInstanceUID), stacks (one orientation and image size), slice positions along the normal
// and cine phases (TemporalPositionIdentifier, else TriggerTime, else InstanceNumber), and
// loading each (series, stack, phase) as one volume. A bad file is reported, never fatal.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { IoError } from "../errors.js";
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
  readonly errors: DicomFileError[];
}

/** Two slices closer than this along the normal are the same position (different phases). */
const SAME_POSITION_MM = 0.01;
const MAX_DEPTH = 16;

export function scanDicomFolder(dir: string): DicomScan {
  return scanDicomFiles(listFiles(dir));
}

export function scanDicomFiles(files: readonly string[]): DicomScan {
  const errors: DicomFileError[] = [];
  const instances: DicomInstance[] = [];
  for (const file of files) {
    try {
      const parsed = parseFile(file);
      const inst = readInstance(parsed);
      checkPixelsPresent(parsed.dataSet, inst);
      instances.push(inst);
    } catch (err) {
      errors.push(toFileError(file, err));
    }
  }
  const series = groupSeries(instances, errors);
  return { series, errors };
}

/** Loads one volume per series, stack and cine phase; failures go to `onError` (default: stderr). */
export function loadDicomSeries(input: string | readonly string[], options: { onError?: (e: DicomFileError) => void } = {}): ImageVolume[] {
  const report = options.onError ?? ((e: DicomFileError) => process.stderr.write(`warning: ${e.message}\n`));
  const scan = typeof input === "string" ? scanDicomFolder(input) : scanDicomFiles(input);
  scan.errors.forEach(report);
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

function listFiles(dir: string, depth = 0): string[] {
  if (depth > MAX_DEPTH) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new IoError(dir, `cannot list folder (${err instanceof Error ? err.message : String(err)})`);
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, depth + 1));
    else if (e.isFile() || (e.isSymbolicLink() && statSync(p, { throwIfNoEntry: false })?.isFile())) out.push(p);
  }
  return out;
}

function groupSeries(instances: readonly DicomInstance[], errors: DicomFileError[]): DicomSeries[] {
  const bySeries = new Map<string, DicomInstance[]>();
  for (const inst of instances) {
    const key = inst.seriesInstanceUID || `(no SeriesInstanceUID) ${inst.file}`;
    bySeries.set(key, [...(bySeries.get(key) ?? []), inst]);
  }
  return [...bySeries.entries()].map(([uid, list]) => {
    const first = list[0];
    return {
      seriesInstanceUID: uid, studyInstanceUID: first.studyInstanceUID, description: first.seriesDescription,
      modality: first.modality, seriesNumber: first.seriesNumber, instances: list, volumes: splitVolumes(list, errors),
    };
  });
}

/** Stacks by orientation and size; multi-frame files stand alone. */
function splitVolumes(list: readonly DicomInstance[], errors: DicomFileError[]): DicomVolumeRef[] {
  const stacks = new Map<string, DicomInstance[]>();
  const out: DicomVolumeRef[] = [];
  for (const inst of list) {
    if (inst.frames > 1) {
      out.push({ stack: -1, phase: 0, phases: 1, slices: [inst] });
      continue;
    }
    const key = `${inst.cols}x${inst.rows} ${(inst.orientation ?? []).map((v) => v.toFixed(4)).join(",")}`;
    stacks.set(key, [...(stacks.get(key) ?? []), inst]);
  }
  let stackIndex = 0;
  for (const members of stacks.values()) out.push(...phasesOf(members, stackIndex++, errors));
  let standalone = stackIndex;
  return out.map((v) => (v.stack === -1 ? { ...v, stack: standalone++ } : v));
}

function phasesOf(members: readonly DicomInstance[], stack: number, errors: DicomFileError[]): DicomVolumeRef[] {
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
  const counts = positions.map((p) => p.length);
  const phases = Math.min(...counts);
  if (phases !== Math.max(...counts)) {
    errors.push({
      file: members[0].file,
      message: `${members[0].file}: series ${members[0].seriesInstanceUID} has ${phases} to ${Math.max(...counts)} images per slice position; loading ${phases} phases`,
    });
  }
  return Array.from({ length: phases }, (_, phase) => ({ stack, phase, phases, slices: positions.map((p) => p[phase]) }));
}

function byTime(a: DicomInstance, b: DicomInstance): number {
  return timeKey(a) - timeKey(b) || (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || a.file.localeCompare(b.file);
}

function timeKey(i: DicomInstance): number {
  return i.temporalPosition ?? i.triggerTime ?? i.instanceNumber ?? 0;
}
