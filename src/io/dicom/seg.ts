// seg.ts owns DICOM SEG export (PS3.3 A.51 / C.8.20): a label map becomes a binary
// segmentation, one segment per non-background class, one frame per (segment, slice), each frame
// placed by ImagePositionPatient and, when the labels came from DICOM, referencing its source
// SOP instance. dcmjs encodes the data set; the content is built here from the label geometry.
import dcmjs from "dcmjs";
import { writeFileAtomic } from "../../util/fs.js";
import { IoError } from "../errors.js";
import { geometryProblem, type LabelVolume } from "../image.js";
import type { DicomInstance } from "./header.js";
import { scanDicomFiles, type DicomSeries } from "./series.js";

/** Where the labels came from: a scanned series, its files, or nothing (then `labels.meta` is used). */
export type DicomSegSource = DicomSeries | readonly string[];

const SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";
const SOURCE_PURPOSE = { CodeValue: "121322", CodingSchemeDesignator: "DCM", CodeMeaning: "Source image for image processing operation" };
const ANATOMY = { CodeValue: "91723000", CodingSchemeDesignator: "SCT", CodeMeaning: "Anatomical Structure" };
/** SNOMED CT codes for the structures cardioseg segments; anything else is coded as tissue. */
const STRUCTURES: readonly [RegExp, { CodeValue: string; CodeMeaning: string }][] = [
  [/myo/i, { CodeValue: "74281007", CodeMeaning: "Myocardium" }],
  [/^(lv|left)/i, { CodeValue: "87878005", CodeMeaning: "Left ventricle" }],
  [/^(rv|right)/i, { CodeValue: "53085002", CodeMeaning: "Right ventricle" }],
];
const TISSUE = { CodeValue: "85756007", CodeMeaning: "Tissue" };

interface SliceRef {
  readonly sopClassUID: string;
  readonly sopInstanceUID: string;
}

interface SourceInfo {
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly frameOfReferenceUID: string;
  readonly patientId: string;
  readonly patientName: string;
  /** One per slice k (undefined where no source instance lies on that slice). */
  readonly slices: readonly (SliceRef | undefined)[];
}

interface LpsGeometry {
  readonly orientation: number[];
  readonly pixelSpacing: number[];
  readonly thickness: number;
  readonly positions: number[][];
}

/**
 * Writes `labels` as a DICOM SEG. `classNames[v]` names label value v; value 0 is background
 * and gets no segment. Values with no name are refused (they would be silently dropped).
 */
export function writeDicomSeg(path: string, labels: LabelVolume, source: DicomSegSource | undefined, classNames: readonly string[]): void {
  const [nx, ny, nz] = labels.dims;
  if (labels.dims.length !== 3 || nx * ny * nz !== labels.data.length) throw new IoError(path, `label volume must be 3D with matching data (dims ${labels.dims.join("x")})`);
  if (classNames.length < 2) throw new IoError(path, "need at least one class name besides background");
  const problem = geometryProblem(labels);
  if (problem) throw new IoError(path, `not written: ${problem}`);
  const maxLabel = labels.data.reduce((m, v) => Math.max(m, v), 0);
  if (maxLabel >= classNames.length) throw new IoError(path, `label value ${maxLabel} has no class name (${classNames.length} given)`);
  const geometry = lpsGeometry(labels.affine, nz);
  const info = sourceInfo(labels, source, geometry);
  const dataset = segDataset(labels, classNames, geometry, info);
  writeFileAtomic(path, new Uint8Array(dcmjs.data.datasetToBuffer(dataset)));
}

function lpsGeometry(affine: readonly number[], nz: number): LpsGeometry {
  // RAS -> LPS: negate the x and y rows back.
  const col = (c: number): number[] => [-affine[c], -affine[4 + c], affine[8 + c]];
  const [ci, cj, ck, origin] = [col(0), col(1), col(2), col(3)];
  const si = Math.hypot(...ci), sj = Math.hypot(...cj);
  return {
    orientation: [...ci.map((v) => v / si), ...cj.map((v) => v / sj)],
    pixelSpacing: [sj, si],
    thickness: Math.hypot(...ck),
    positions: Array.from({ length: nz }, (_, k) => origin.map((o, a) => o + k * ck[a])),
  };
}

function sourceInfo(labels: LabelVolume, source: DicomSegSource | undefined, g: LpsGeometry): SourceInfo {
  const meta = labels.meta;
  const str = (k: string): string => (meta[k] === undefined ? "" : String(meta[k]));
  const candidates = source === undefined ? [] : Array.isArray(source) ? scanDicomFiles(source).series.flatMap((s) => s.instances) : (source as DicomSeries).instances;
  const first = candidates[0];
  const base = {
    studyInstanceUID: first?.studyInstanceUID || str("studyInstanceUID") || dcmjs.data.DicomMetaDictionary.uid(),
    seriesInstanceUID: first?.seriesInstanceUID || str("seriesInstanceUID"),
    frameOfReferenceUID: first?.frameOfReferenceUID || str("frameOfReferenceUID") || dcmjs.data.DicomMetaDictionary.uid(),
    patientId: first?.patientId ?? str("patientId"),
    patientName: first?.patientName ?? str("patientName"),
  };
  const fromMeta = str("sourceSopInstanceUIDs").split("\\").filter((u) => u !== "");
  const byUid = new Map(candidates.map((c) => [c.sopInstanceUID, c]));
  if (fromMeta.length === g.positions.length && (candidates.length === 0 || fromMeta.every((u) => byUid.has(u)))) {
    const cls = str("sopClassUID");
    return { ...base, slices: fromMeta.map((u) => ({ sopInstanceUID: u, sopClassUID: byUid.get(u)?.sopClassUID ?? cls })) };
  }
  return { ...base, slices: slicesByPosition(candidates, g) };
}

/** Source instances placed on the label slices by their ImagePositionPatient (first one per slice). */
function slicesByPosition(candidates: readonly DicomInstance[], g: LpsGeometry): (SliceRef | undefined)[] {
  const out: (SliceRef | undefined)[] = g.positions.map(() => undefined);
  for (const c of candidates) {
    if (!c.position) continue;
    const k = g.positions.findIndex((p) => Math.hypot(p[0] - c.position![0], p[1] - c.position![1], p[2] - c.position![2]) < Math.max(0.01, g.thickness * 0.05));
    if (k >= 0 && out[k] === undefined) out[k] = { sopClassUID: c.sopClassUID, sopInstanceUID: c.sopInstanceUID };
  }
  return out;
}

function segDataset(labels: LabelVolume, classNames: readonly string[], g: LpsGeometry, info: SourceInfo): Record<string, unknown> {
  const [nx, ny, nz] = labels.dims;
  const uid = (): string => dcmjs.data.DicomMetaDictionary.uid();
  const segments = classNames.slice(1).map((name, i) => segmentItem(i + 1, name));
  const dimensionUid = uid();
  const frames: Record<string, unknown>[] = [];
  for (let s = 1; s <= segments.length; s++) for (let k = 0; k < nz; k++) frames.push(frameItem(s, k, g, info.slices[k]));
  const referenced = info.slices.filter((r): r is SliceRef => r !== undefined);
  const now = new Date();
  const dataset: Record<string, unknown> = {
    _meta: {}, _vrMap: { PixelData: "OB" },
    SOPClassUID: SEG_SOP_CLASS, SOPInstanceUID: uid(), Modality: "SEG",
    SeriesInstanceUID: uid(), SeriesNumber: 901, InstanceNumber: 1, SeriesDescription: "cardioseg segmentation",
    StudyInstanceUID: info.studyInstanceUID, FrameOfReferenceUID: info.frameOfReferenceUID,
    PatientID: info.patientId, PatientName: info.patientName,
    ContentDate: dicomDate(now), ContentTime: "000000", ContentLabel: "CARDIOSEG", ContentDescription: "cardiac segmentation", ContentCreatorName: "cardioseg",
    Manufacturer: "cardioseg", ManufacturerModelName: "cardioseg", DeviceSerialNumber: "1", SoftwareVersions: "0.1.0",
    ImageType: ["DERIVED", "PRIMARY"], SegmentationType: "BINARY", LossyImageCompression: "00",
    SamplesPerPixel: 1, PhotometricInterpretation: "MONOCHROME2", Rows: ny, Columns: nx,
    BitsAllocated: 1, BitsStored: 1, HighBit: 0, PixelRepresentation: 0, NumberOfFrames: frames.length,
    SegmentSequence: segments,
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionUid }],
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimensionUid, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: "ReferencedSegmentNumber" },
      { DimensionOrganizationUID: dimensionUid, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: "ImagePositionPatient" },
    ],
    SharedFunctionalGroupsSequence: [{
      PlaneOrientationSequence: [{ ImageOrientationPatient: g.orientation.map(ds16) }],
      PixelMeasuresSequence: [{ PixelSpacing: g.pixelSpacing.map(ds16), SliceThickness: ds16(g.thickness), SpacingBetweenSlices: ds16(g.thickness) }],
    }],
    PerFrameFunctionalGroupsSequence: frames,
    PixelData: [packFrames(labels, segments.length)],
  };
  if (info.seriesInstanceUID && referenced.length > 0) {
    dataset.ReferencedSeriesSequence = [{
      SeriesInstanceUID: info.seriesInstanceUID,
      ReferencedInstanceSequence: referenced.map((r) => ({ ReferencedSOPClassUID: r.sopClassUID, ReferencedSOPInstanceUID: r.sopInstanceUID })),
    }];
  }
  return dataset;
}

function segmentItem(number: number, name: string): Record<string, unknown> {
  const type = STRUCTURES.find(([re]) => re.test(name))?.[1] ?? TISSUE;
  return {
    SegmentNumber: number, SegmentLabel: name.slice(0, 64), SegmentAlgorithmType: "AUTOMATIC", SegmentAlgorithmName: "cardioseg",
    SegmentedPropertyCategoryCodeSequence: [ANATOMY],
    SegmentedPropertyTypeCodeSequence: [{ ...type, CodingSchemeDesignator: "SCT" }],
  };
}

function frameItem(segment: number, k: number, g: LpsGeometry, ref: SliceRef | undefined): Record<string, unknown> {
  const item: Record<string, unknown> = {
    FrameContentSequence: [{ DimensionIndexValues: [segment, k + 1] }],
    PlanePositionSequence: [{ ImagePositionPatient: g.positions[k].map(ds16) }],
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: segment }],
  };
  if (ref) {
    item.DerivationImageSequence = [{
      SourceImageSequence: [{ ReferencedSOPClassUID: ref.sopClassUID, ReferencedSOPInstanceUID: ref.sopInstanceUID, PurposeOfReferenceCodeSequence: [SOURCE_PURPOSE] }],
      DerivationCodeSequence: [{ CodeValue: "113076", CodingSchemeDesignator: "DCM", CodeMeaning: "Segmentation" }],
    }];
  }
  return item;
}

/** Frames (segment-major, then slice) bit-packed LSB first, continuous across frames (PS3.5 8.1.1). */
function packFrames(labels: LabelVolume, segments: number): ArrayBuffer {
  const plane = labels.dims[0] * labels.dims[1];
  const nz = labels.dims[2];
  const bits = segments * nz * plane;
  const out = new Uint8Array(Math.ceil(bits / 8) + (Math.ceil(bits / 8) % 2));
  let b = 0;
  for (let s = 1; s <= segments; s++) {
    for (let v = 0; v < nz * plane; v++, b++) if (labels.data[v] === s) out[b >> 3] |= 1 << (b & 7);
  }
  return out.buffer;
}

/** The most precise value whose decimal string fits the 16 characters a DS allows. */
function ds16(v: number): number {
  for (let p = 15; p > 1; p--) {
    const r = Number(v.toPrecision(p));
    if (String(r).length <= 16) return r;
  }
  return Number(v.toPrecision(1));
}

function dicomDate(d: Date): string {
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}`;
}
