// header.ts owns the attributes cardioseg needs from one DICOM instance (identity, image pixel
// module, geometry, cine timing, rescale), read from the top level or, for enhanced multi-frame
// objects, from the shared / per-frame functional groups.
import type { DataSet } from "dicom-parser";
import { IoError } from "../errors.js";
import type { ParsedDicom } from "./parse.js";

export interface DicomInstance {
  readonly file: string;
  readonly transferSyntax: string;
  readonly sopClassUID: string;
  readonly sopInstanceUID: string;
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly frameOfReferenceUID: string;
  readonly modality: string;
  readonly seriesDescription: string;
  readonly seriesNumber?: number;
  readonly patientId: string;
  readonly patientName: string;
  readonly instanceNumber?: number;
  readonly hasPixels: boolean;
  readonly rows: number;
  readonly cols: number;
  readonly frames: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly pixelRepresentation: number;
  readonly planarConfiguration: number;
  readonly photometric: string;
  /** (0028,0030): [spacing between rows, spacing between columns], mm. */
  readonly pixelSpacing?: readonly number[];
  /** (0020,0037): row direction then column direction, LPS. */
  readonly orientation?: readonly number[];
  /** (0020,0032) of the first frame, LPS mm. */
  readonly position?: readonly number[];
  /** Per-frame positions of an enhanced multi-frame object. */
  readonly framePositions?: readonly (readonly number[])[];
  readonly sliceThickness?: number;
  readonly spacingBetweenSlices?: number;
  readonly triggerTime?: number;
  readonly temporalPosition?: number;
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
}

const SHARED_GROUPS = "x52009229";
const PER_FRAME_GROUPS = "x52009230";

export function readInstance(parsed: ParsedDicom): DicomInstance {
  const ds = parsed.dataSet;
  const file = parsed.file;
  const str = (tag: string): string => clean(ds.string(tag));
  const hasPixels = ds.elements.x7fe00010 !== undefined || ds.elements.x7fe00008 !== undefined || ds.elements.x7fe00009 !== undefined;
  const frames = strictInt(ds, "x00280008", file) ?? 1;
  if (frames < 1) throw new IoError(file, `bad NumberOfFrames (0028,0008): ${frames}`);
  const shared = firstItem(ds, SHARED_GROUPS);
  const perFrame0 = firstItem(ds, PER_FRAME_GROUPS);
  const groups = [ds, ...[shared, perFrame0].filter((g): g is DataSet => g !== undefined)];
  return {
    file,
    transferSyntax: parsed.transferSyntax,
    sopClassUID: str("x00080016") || str("x00020002"),
    sopInstanceUID: str("x00080018") || str("x00020003"),
    studyInstanceUID: str("x0020000d"),
    seriesInstanceUID: str("x0020000e"),
    frameOfReferenceUID: str("x00200052"),
    modality: str("x00080060"),
    seriesDescription: str("x0008103e"),
    seriesNumber: finite(ds.intString("x00200011")),
    patientId: str("x00100020"),
    patientName: str("x00100010"),
    instanceNumber: finite(ds.intString("x00200013")),
    hasPixels,
    rows: ds.uint16("x00280010") ?? 0,
    cols: ds.uint16("x00280011") ?? 0,
    frames,
    samplesPerPixel: ds.uint16("x00280002") ?? 1,
    bitsAllocated: ds.uint16("x00280100") ?? 0,
    pixelRepresentation: ds.uint16("x00280103") ?? 0,
    planarConfiguration: ds.uint16("x00280006") ?? 0,
    photometric: str("x00280004"),
    pixelSpacing: nested(groups, "x00289110", "x00280030", 2, file),
    orientation: nested(groups, "x00209116", "x00200037", 6, file),
    position: nested(groups, "x00209113", "x00200032", 3, file),
    framePositions: framePositions(ds, frames, file),
    sliceThickness: finite(nested(groups, "x00289110", "x00180050", 1, file)?.[0]),
    spacingBetweenSlices: finite(nested(groups, "x00289110", "x00180088", 1, file)?.[0]),
    triggerTime: finite(ds.floatString("x00181060")),
    temporalPosition: finite(ds.intString("x00200100")) ?? finite(temporalIndex(perFrame0)),
    rescaleSlope: finite(nested(groups, "x00289145", "x00281053", 1, file)?.[0]) ?? 1,
    rescaleIntercept: finite(nested(groups, "x00289145", "x00281052", 1, file)?.[0]) ?? 0,
  };
}

function clean(s: string | undefined): string {
  return (s ?? "").replace(/\0/g, "").trim();
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** IS values parsed strictly: dicom-parser's parseInt would read "1A" as 1. */
function strictInt(ds: DataSet, tag: string, file: string): number | undefined {
  const text = clean(ds.string(tag));
  if (text === "") return undefined;
  if (!INTEGER.test(text)) throw new IoError(file, `bad integer string in (${tag.slice(1, 5)},${tag.slice(5)}): "${text}"`);
  return Number(text);
}

function finite(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function firstItem(ds: DataSet, tag: string, index = 0): DataSet | undefined {
  return ds.elements[tag]?.items?.[index]?.dataSet;
}

/** A DS attribute from the top level, or inside `macro` of a functional group; `count` values. */
function nested(groups: readonly DataSet[], macro: string, tag: string, count: number, file: string): number[] | undefined {
  for (const g of groups) {
    const holder = g.elements[tag] ? g : firstItem(g, macro);
    if (holder?.elements[tag]) return decimals(holder, tag, count, file);
  }
  return undefined;
}

function decimals(ds: DataSet, tag: string, count: number, file: string): number[] | undefined {
  if (ds.elements[tag].length === 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const text = clean(ds.string(tag, i));
    const v = DECIMAL.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(v)) {
      throw new IoError(file, `bad value in (${tag.slice(1, 5)},${tag.slice(5)}): "${clean(ds.string(tag))}" (need ${count} numbers)`);
    }
    out.push(v);
  }
  return out;
}

function framePositions(ds: DataSet, frames: number, file: string): number[][] | undefined {
  const items = ds.elements[PER_FRAME_GROUPS]?.items;
  if (!items || frames < 2) return undefined;
  if (items.length !== frames) throw new IoError(file, `${items.length} per-frame functional groups for ${frames} frames`);
  const out: number[][] = [];
  for (const item of items) {
    const p = item.dataSet ? nested([item.dataSet], "x00209113", "x00200032", 3, file) : undefined;
    if (!p) return undefined;
    out.push(p);
  }
  return out;
}

function temporalIndex(perFrame: DataSet | undefined): number | undefined {
  const content = perFrame ? firstItem(perFrame, "x00209111") : undefined;
  return content?.uint32("x00209128");
}
