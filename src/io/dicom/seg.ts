// seg.ts owns DICOM SEG export (PS3.3 A.51 / C.8.20): a label map, or the phases of a cine on one
// grid, becomes one binary segmentation: one segment per non-background class, one frame per
// (segment, phase, slice), each frame placed by ImagePositionPatient (and TemporalPositionIndex for
// a cine) and, when the labels came from DICOM, referencing its source SOP instance (and frame).
// Patient, study and frame of reference are copied from the source (derived.ts); every Type 1
// and Type 2 attribute of the SEG IOD is written; the UIDs generated come from one root (uid.ts).
// dcmjs encodes the data set; the content is built here from the label geometry.
import dcmjs from "dcmjs";
import { writeFileAtomic } from "../../util/fs.js";
import { IoError } from "../errors.js";
import { assertSameGeometry, geometryProblem, type LabelVolume } from "../image.js";
import { sharedModules, type Attributes } from "./derived.js";
import type { DicomInstance } from "./header.js";
import { scanDicomFiles, type DicomSeries } from "./series.js";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, newUid } from "./uid.js";

/** Where the labels came from: a scanned series, its files, or nothing (then `labels.meta` is used). */
export type DicomSegSource = DicomSeries | readonly string[];

const SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";
const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
const SOFTWARE_VERSION = "0.1.0";
const SOURCE_PURPOSE = { CodeValue: "121322", CodingSchemeDesignator: "DCM", CodeMeaning: "Source image for image processing operation" };
const SEGMENTATION_DERIVATION = { CodeValue: "113076", CodingSchemeDesignator: "DCM", CodeMeaning: "Segmentation" };
const ANATOMY = { CodeValue: "91723000", CodingSchemeDesignator: "SCT", CodeMeaning: "Anatomical Structure" };
/** SNOMED CT codes for the structures cardioseg segments; anything else is coded as tissue. */
const STRUCTURES: readonly [RegExp, { CodeValue: string; CodeMeaning: string }][] = [
  [/myo/i, { CodeValue: "74281007", CodeMeaning: "Myocardium" }],
  [/^(lv|left)/i, { CodeValue: "87878005", CodeMeaning: "Left ventricle" }],
  [/^(rv|right)/i, { CodeValue: "53085002", CodeMeaning: "Right ventricle" }],
];
const TISSUE = { CodeValue: "85756007", CodeMeaning: "Tissue" };
const TAG = {
  referencedSegmentNumber: 0x0062000b, segmentIdentification: 0x0062000a,
  temporalPositionIndex: 0x00209128, frameContent: 0x00209111,
  imagePositionPatient: 0x00200032, planePosition: 0x00209113,
};

/** The source image one label slice was predicted from. */
interface SliceRef {
  readonly sopClassUID: string;
  readonly sopInstanceUID: string;
  readonly seriesInstanceUID: string;
  /** 1-based frame of a multi-frame source instance. */
  readonly frame?: number;
}

interface LpsGeometry {
  readonly orientation: number[];
  readonly pixelSpacing: number[];
  readonly thickness: number;
  readonly positions: number[][];
}

/**
 * Writes `labels` as one DICOM SEG. `labels` is one label map or the phases of a cine (same grid,
 * in temporal order). `classNames[v]` names label value v; value 0 is background and gets no
 * segment. Values with no name are refused (they would be silently dropped).
 */
export function writeDicomSeg(path: string, labels: LabelVolume | readonly LabelVolume[], source: DicomSegSource | undefined,
  classNames: readonly string[]): void {
  const phases: readonly LabelVolume[] = Array.isArray(labels) ? labels : [labels as LabelVolume];
  checkPhases(path, phases, classNames);
  const geometry = lpsGeometry(phases[0].affine, phases[0].dims[2]);
  const candidates = sourceInstances(source);
  const refs = phases.map((p) => sliceRefs(p, candidates, geometry, phases.length === 1));
  const meta = phases[0].meta;
  const str = (k: string): string => (meta[k] === undefined ? "" : String(meta[k]));
  const shared = sharedModules(candidates[0]?.file, {
    studyInstanceUID: str("studyInstanceUID"), frameOfReferenceUID: str("frameOfReferenceUID"),
    patientId: str("patientId"), patientName: str("patientName"),
  });
  const dataset = segDataset(phases, classNames, geometry, refs, shared);
  writeFileAtomic(path, encode(dataset));
}

function checkPhases(path: string, phases: readonly LabelVolume[], classNames: readonly string[]): void {
  if (phases.length === 0) throw new IoError(path, "no label volume to write");
  if (classNames.length < 2) throw new IoError(path, "need at least one class name besides background");
  phases.forEach((p, t) => {
    const [nx, ny, nz] = p.dims;
    if (p.dims.length !== 3 || nx * ny * nz !== p.data.length) throw new IoError(path, `label volume must be 3D with matching data (dims ${p.dims.join("x")})`);
    const problem = geometryProblem(p);
    if (problem) throw new IoError(path, `not written: ${phases.length > 1 ? `phase ${t}: ` : ""}${problem}`);
    try {
      if (t > 0) assertSameGeometry(p, phases[0], `phase ${t} vs phase 0`);
    } catch (err) {
      throw new IoError(path, `the phases of one SEG must share one grid: ${err instanceof Error ? err.message : String(err)}`);
    }
    const maxLabel = p.data.reduce((m, v) => Math.max(m, v), 0);
    if (maxLabel >= classNames.length) throw new IoError(path, `label value ${maxLabel} has no class name (${classNames.length} given)`);
  });
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

function sourceInstances(source: DicomSegSource | undefined): readonly DicomInstance[] {
  if (source === undefined) return [];
  return Array.isArray(source) ? scanDicomFiles(source).series.flatMap((s) => s.instances) : (source as DicomSeries).instances;
}

/**
 * The source of each slice k: the instances the volume was stacked from (its metadata lists them
 * in slice order), the frames of one multi-frame instance, or (one phase only) the instance
 * whose ImagePositionPatient lies on the slice.
 */
function sliceRefs(labels: LabelVolume, candidates: readonly DicomInstance[], g: LpsGeometry, byPosition: boolean): (SliceRef | undefined)[] {
  const meta = labels.meta;
  const uids = String(meta.sourceSopInstanceUIDs ?? "").split("\\").filter((u) => u !== "");
  const byUid = new Map(candidates.map((c) => [c.sopInstanceUID, c]));
  const nz = g.positions.length;
  const ref = (uid: string, frame?: number): SliceRef => {
    const c = byUid.get(uid);
    return {
      sopInstanceUID: uid, sopClassUID: c?.sopClassUID ?? String(meta.sopClassUID ?? ""),
      seriesInstanceUID: c?.seriesInstanceUID ?? String(meta.seriesInstanceUID ?? ""), ...(frame === undefined ? {} : { frame }),
    };
  };
  const known = candidates.length === 0 || uids.every((u) => byUid.has(u));
  if (uids.length === nz && known) return uids.map((u) => ref(u));
  const multiFrame = uids.length === 1 ? byUid.get(uids[0]) : undefined;
  if (multiFrame && multiFrame.frames === nz && nz > 1) return g.positions.map((_, k) => ref(uids[0], k + 1));
  return byPosition ? slicesByPosition(candidates, g) : g.positions.map(() => undefined);
}

/** Source instances placed on the label slices by their ImagePositionPatient (first one per slice). */
function slicesByPosition(candidates: readonly DicomInstance[], g: LpsGeometry): (SliceRef | undefined)[] {
  const out: (SliceRef | undefined)[] = g.positions.map(() => undefined);
  for (const c of candidates) {
    if (!c.position || c.frames > 1) continue;
    const k = g.positions.findIndex((p) => Math.hypot(p[0] - c.position![0], p[1] - c.position![1], p[2] - c.position![2]) < Math.max(0.01, g.thickness * 0.05));
    if (k >= 0 && out[k] === undefined) out[k] = { sopClassUID: c.sopClassUID, sopInstanceUID: c.sopInstanceUID, seriesInstanceUID: c.seriesInstanceUID };
  }
  return out;
}

function segDataset(phases: readonly LabelVolume[], classNames: readonly string[], g: LpsGeometry,
  refs: readonly (SliceRef | undefined)[][], shared: Attributes): Attributes {
  const [nx, ny, nz] = phases[0].dims;
  const cine = phases.length > 1;
  const segments = classNames.slice(1).map((name, i) => segmentItem(i + 1, name));
  const dimensionUid = newUid();
  const derived = refs.some((r) => r.some((x) => x !== undefined));
  const frames: Attributes[] = [];
  for (let s = 1; s <= segments.length; s++) {
    for (let t = 0; t < phases.length; t++) {
      for (let k = 0; k < nz; k++) frames.push(frameItem(s, cine ? t : undefined, k, g, derived ? refs[t][k] ?? null : undefined));
    }
  }
  const now = dicomDateTime(new Date());
  const dataset: Attributes = {
    _vrMap: { PixelData: "OB" },
    ...shared,
    SOPClassUID: SEG_SOP_CLASS, SOPInstanceUID: newUid(), InstanceCreationDate: now.date, InstanceCreationTime: now.time,
    Modality: "SEG", SeriesInstanceUID: newUid(), SeriesNumber: 901, SeriesDescription: "cardioseg segmentation",
    SeriesDate: now.date, SeriesTime: now.time, InstanceNumber: 1,
    ContentDate: now.date, ContentTime: now.time, ContentLabel: "CARDIOSEG", ContentDescription: "cardiac segmentation",
    // A person's name (Type 2); the algorithm is named by SegmentAlgorithmName and the equipment.
    ContentCreatorName: "",
    Manufacturer: "cardioseg", ManufacturerModelName: "cardioseg", DeviceSerialNumber: "1", SoftwareVersions: SOFTWARE_VERSION,
    ImageType: ["DERIVED", "PRIMARY"], SegmentationType: "BINARY", LossyImageCompression: "00",
    SamplesPerPixel: 1, PhotometricInterpretation: "MONOCHROME2", Rows: ny, Columns: nx,
    BitsAllocated: 1, BitsStored: 1, HighBit: 0, PixelRepresentation: 0, NumberOfFrames: frames.length,
    SegmentSequence: segments,
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionUid }],
    DimensionIndexSequence: dimensionIndex(dimensionUid, cine),
    SharedFunctionalGroupsSequence: [{
      PlaneOrientationSequence: [{ ImageOrientationPatient: g.orientation.map(ds16) }],
      PixelMeasuresSequence: [{ PixelSpacing: g.pixelSpacing.map(ds16), SliceThickness: ds16(g.thickness), SpacingBetweenSlices: ds16(g.thickness) }],
    }],
    PerFrameFunctionalGroupsSequence: frames,
    PixelData: [packFrames(phases, segments.length)],
  };
  const referenced = referencedSeries(refs);
  if (referenced.length > 0) dataset.ReferencedSeriesSequence = referenced;
  return dataset;
}

function dimensionIndex(uid: string, cine: boolean): Attributes[] {
  const index = (pointer: number, group: number, label: string): Attributes =>
    ({ DimensionOrganizationUID: uid, DimensionIndexPointer: pointer, FunctionalGroupPointer: group, DimensionDescriptionLabel: label });
  return [
    index(TAG.referencedSegmentNumber, TAG.segmentIdentification, "ReferencedSegmentNumber"),
    ...(cine ? [index(TAG.temporalPositionIndex, TAG.frameContent, "TemporalPositionIndex")] : []),
    index(TAG.imagePositionPatient, TAG.planePosition, "ImagePositionPatient"),
  ];
}

/** Common Instance Reference module: each referenced series once, each instance once. */
function referencedSeries(refs: readonly (SliceRef | undefined)[][]): Attributes[] {
  const bySeries = new Map<string, Map<string, SliceRef>>();
  for (const r of refs.flat()) {
    if (!r || !r.seriesInstanceUID) continue;
    const instances = bySeries.get(r.seriesInstanceUID) ?? new Map<string, SliceRef>();
    instances.set(r.sopInstanceUID, r);
    bySeries.set(r.seriesInstanceUID, instances);
  }
  return [...bySeries.entries()].map(([series, instances]) => ({
    SeriesInstanceUID: series,
    ReferencedInstanceSequence: [...instances.values()].map((r) => ({ ReferencedSOPClassUID: r.sopClassUID, ReferencedSOPInstanceUID: r.sopInstanceUID })),
  }));
}

function segmentItem(number: number, name: string): Attributes {
  const type = STRUCTURES.find(([re]) => re.test(name))?.[1] ?? TISSUE;
  return {
    SegmentNumber: number, SegmentLabel: name.slice(0, 64), SegmentAlgorithmType: "AUTOMATIC", SegmentAlgorithmName: "cardioseg",
    SegmentedPropertyCategoryCodeSequence: [ANATOMY],
    SegmentedPropertyTypeCodeSequence: [{ ...type, CodingSchemeDesignator: "SCT" }],
  };
}

/**
 * One frame's functional groups. `ref`: the source image (null: derived from images, but none on
 * this slice, so the Type 2 Derivation Image Sequence is present and empty; undefined: no source).
 */
function frameItem(segment: number, phase: number | undefined, k: number, g: LpsGeometry, ref: SliceRef | null | undefined): Attributes {
  const content: Attributes = { DimensionIndexValues: phase === undefined ? [segment, k + 1] : [segment, phase + 1, k + 1] };
  if (phase !== undefined) content.TemporalPositionIndex = phase + 1;
  const item: Attributes = {
    FrameContentSequence: [content],
    PlanePositionSequence: [{ ImagePositionPatient: g.positions[k].map(ds16) }],
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: segment }],
  };
  if (ref === null) item.DerivationImageSequence = [];
  if (ref) {
    const image: Attributes = { ReferencedSOPClassUID: ref.sopClassUID, ReferencedSOPInstanceUID: ref.sopInstanceUID };
    if (ref.frame !== undefined) image.ReferencedFrameNumber = ref.frame;
    image.PurposeOfReferenceCodeSequence = [SOURCE_PURPOSE];
    item.DerivationImageSequence = [{ SourceImageSequence: [image], DerivationCodeSequence: [SEGMENTATION_DERIVATION] }];
  }
  return item;
}

/** Frames (segment-major, then phase, then slice) bit-packed LSB first, continuous across frames (PS3.5 8.1.1). */
function packFrames(phases: readonly LabelVolume[], segments: number): ArrayBuffer {
  const voxels = phases[0].data.length;
  const bits = segments * phases.length * voxels;
  const bytes = Math.ceil(bits / 8);
  const out = new Uint8Array(bytes + (bytes % 2));
  let b = 0;
  for (let s = 1; s <= segments; s++) {
    for (const p of phases) {
      for (let v = 0; v < voxels; v++, b++) if (p.data[v] === s) out[b >> 3] |= 1 << (b & 7);
    }
  }
  return out.buffer;
}

/** Part 10 bytes with our own file meta information (dcmjs's datasetToBuffer would write its own UIDs). */
function encode(dataset: Attributes): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID, MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID, ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/** The most precise value whose decimal string fits the 16 characters a DS allows. */
function ds16(v: number): number {
  for (let p = 15; p > 1; p--) {
    const r = Number(v.toPrecision(p));
    if (String(r).length <= 16) return r;
  }
  return Number(v.toPrecision(1));
}

/** Local date and time as DA (YYYYMMDD) and TM (HHMMSS). */
function dicomDateTime(d: Date): { date: string; time: string } {
  const two = (n: number): string => String(n).padStart(2, "0");
  return {
    date: `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}`,
    time: `${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`,
  };
}
