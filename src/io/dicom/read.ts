// read.ts owns building ImageVolumes: one file (single or multi-frame) or one stack of
// single-frame instances already ordered along the slice normal.
import { IoError, readInputFile, withFile } from "../errors.js";
import { checkedImage, type ImageVolume, type VoxelArray } from "../image.js";
import { along, nominalThickness, sliceGeometry, stackAffine } from "./geometry.js";
import { readInstance, type DicomInstance } from "./header.js";
import { parseDicomBytes, type ParsedDicom } from "./parse.js";
import { readPixels } from "./pixels.js";

/** Larger than any DICOM image cardioseg handles; also keeps readFileSync below Node's buffer limit. */
const MAX_FILE_BYTES = 1 << 30;

export function readFileBytes(path: string): Uint8Array {
  return readInputFile(path, MAX_FILE_BYTES);
}

export function parseFile(path: string, untilPixels = false): ParsedDicom {
  return parseDicomBytes(readFileBytes(path), path, untilPixels);
}

/** Reads one DICOM file as a volume: [cols, rows, frames], or [cols, rows, 1, frames] for a one-position cine. */
export function readDicomFile(path: string): ImageVolume {
  return volumeOfParsed(parseFile(path));
}

/** As readDicomFile, for bytes already in memory; `name` is used in errors and metadata. */
export function readDicomBytes(bytes: Uint8Array, name: string): ImageVolume {
  return volumeOfParsed(parseDicomBytes(bytes, name));
}

function volumeOfParsed(parsed: ParsedDicom): ImageVolume {
  return withFile(parsed.file, "corrupt data set", () => {
    const inst = readInstance(parsed);
    const data = readPixels(parsed.dataSet, inst);
    return fileVolume(inst, data);
  });
}

function fileVolume(inst: DicomInstance, data: VoxelArray): ImageVolume {
  const g = sliceGeometry(inst);
  const positions = inst.framePositions ?? [g.origin];
  const distinct = positions.some((p) => Math.abs(along(g, p) - along(g, positions[0])) > 1e-3);
  const cine = inst.frames > 1 && inst.framePositions !== undefined && !distinct;
  const stacked = inst.frames > 1 && distinct ? positions : [g.origin];
  const { affine, sliceSpacing } = stackAffine(g, stacked, nominalThickness(inst), inst.file);
  const dims = cine ? [inst.cols, inst.rows, 1, inst.frames] : [inst.cols, inst.rows, inst.frames];
  const spacing = cine ? [g.inPlane[0], g.inPlane[1], sliceSpacing, 1] : [g.inPlane[0], g.inPlane[1], sliceSpacing];
  return checkedImage({ data, dims, spacing, affine, meta: volumeMeta([inst], g.defaulted) }, inst.file);
}

/** Stacks single-frame instances (sorted along the normal, same size) into one 3D volume. */
export function stackVolume(slices: readonly DicomInstance[], extraMeta: Record<string, string | number>): ImageVolume {
  const first = slices[0];
  const g = sliceGeometry(first);
  const planes = slices.map((s) => {
    if (s.rows !== first.rows || s.cols !== first.cols) throw new IoError(s.file, `slice is ${s.cols}x${s.rows}, the rest of its series ${first.cols}x${first.rows}`);
    const parsed = parseFile(s.file);
    return withFile(s.file, "corrupt data set", () => readPixels(parsed.dataSet, readInstance(parsed)));
  });
  const data = concatPlanes(planes);
  const { affine, sliceSpacing } = stackAffine(g, slices.map((s) => s.position ?? g.origin), nominalThickness(first), first.file);
  return checkedImage({
    data, dims: [first.cols, first.rows, slices.length], spacing: [g.inPlane[0], g.inPlane[1], sliceSpacing], affine,
    meta: { ...volumeMeta(slices, g.defaulted), ...extraMeta },
  }, first.file);
}

/** Keeps the integer type when every plane shares it; any rescaled (float) plane makes all float. */
function concatPlanes(planes: readonly VoxelArray[]): VoxelArray {
  const n = planes.reduce((a, p) => a + p.length, 0);
  const ctor = planes.every((p) => p.constructor === planes[0].constructor) ? planes[0].constructor : Float32Array;
  const out = new (ctor as new (n: number) => VoxelArray)(n);
  let offset = 0;
  for (const p of planes) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function volumeMeta(slices: readonly DicomInstance[], defaulted: boolean): Record<string, string | number> {
  const s = slices[0];
  const meta: Record<string, string | number> = {
    format: "dicom",
    file: s.file,
    transferSyntax: s.transferSyntax,
    modality: s.modality,
    sopClassUID: s.sopClassUID,
    studyInstanceUID: s.studyInstanceUID,
    seriesInstanceUID: s.seriesInstanceUID,
    frameOfReferenceUID: s.frameOfReferenceUID,
    seriesDescription: s.seriesDescription,
    patientId: s.patientId,
    patientName: s.patientName,
    /** One per slice, in slice (k) order, for DICOM SEG references. */
    sourceSopInstanceUIDs: slices.map((x) => x.sopInstanceUID).join("\\"),
    rescaleSlope: s.rescaleSlope,
    rescaleIntercept: s.rescaleIntercept,
    geometry: defaulted ? "defaulted (orientation, position or spacing missing)" : "dicom",
  };
  if (slices.length > 1) meta.files = slices.map((x) => x.file).join("|");
  if (s.triggerTime !== undefined) meta.triggerTime = s.triggerTime;
  return meta;
}
