// test/fuzz — the hostile-input harness (see main.ts) and what the tests share with it.
// builders.ts makes valid inputs from a few parameters, so that tests and the fuzzer can change one
// field at a time (structure-aware): a NIfTI-1 file with any header field patched, and a DICOM
// Part 10 file written element by element (explicit VR little endian, or deflated).
import { deflateRawSync, gzipSync } from "node:zlib";
import { encodeNifti1 } from "../../src/io/nifti/index.js";
import type { ImageVolume } from "../../src/io/image.js";

// ---------------------------------------------------------------- NIfTI

/** Byte offsets of the NIfTI-1 header fields the builders and the fuzzer patch. */
export const NIFTI1 = {
  dim: 40, datatype: 70, bitpix: 72, pixdim: 76, voxOffset: 108, sclSlope: 112, sclInter: 116,
  qformCode: 252, sformCode: 254, quatern: 256, qoffset: 268, srow: 280, magic: 344,
} as const;

export interface NiftiSpec {
  dims?: number[];
  spacing?: number[];
  /** Voxel values (float32 written); default a ramp. */
  values?: ArrayLike<number>;
  as?: "float32" | "uint8" | "int16";
}

/** A valid NIfTI-1 file (uncompressed bytes) from a small volume. */
export function niftiBytes(spec: NiftiSpec = {}): Uint8Array {
  const dims = spec.dims ?? [6, 5, 3];
  const spacing = spec.spacing ?? [1.5, 1.25, 4];
  const n = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => (spec.values ? spec.values[i] : i % 17));
  const affine = [spacing[0], 0, 0, -10, 0, spacing[1], 0, 20, 0, 0, spacing[2], 5, 0, 0, 0, 1];
  const volume: ImageVolume = { data, dims, spacing, affine, meta: { file: "builder" } };
  return encodeNifti1(volume, { as: spec.as ?? "float32" });
}

/** A copy of `bytes` with header fields patched (little-endian files, as niftiBytes writes). */
export function patchNifti(bytes: Uint8Array, patch: (view: DataView) => void): Uint8Array {
  const out = Uint8Array.from(bytes);
  patch(new DataView(out.buffer));
  return out;
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6 });
}

// ---------------------------------------------------------------- DICOM

export interface DicomElement {
  tag: number;
  vr: string;
  value: Uint8Array;
}

export const TS_EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const TS_DEFLATED = "1.2.840.10008.1.2.1.99";
const MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const LONG_VRS = new Set(["OB", "OW", "OF", "SQ", "UN", "UT", "UC", "UR"]);

/** Parameters of one MR slice; strings are DICOM value text ("0.7\\0.7"). */
export interface DicomSpec {
  patientId?: string;
  studyUid?: string;
  seriesUid?: string;
  frameOfReferenceUid?: string;
  sopUid?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  rows?: number;
  cols?: number;
  pixelSpacing?: string;
  orientation?: string;
  position?: string;
  slope?: string;
  intercept?: string;
  /** 16-bit unsigned pixels, rows*cols of them (default a pattern). */
  pixels?: Uint16Array;
  /** Extra elements (any tag); they are sorted in with the rest. */
  extra?: DicomElement[];
  /** Bytes of trailing padding (FFFC,FFFC) after the pixel data. */
  trailingPadding?: number;
  transferSyntax?: typeof TS_EXPLICIT_LE | typeof TS_DEFLATED;
}

export function text(vr: string, s: string): DicomElement["value"] {
  const pad = vr === "UI" ? "\0" : " ";
  const b = Buffer.from(s.length % 2 ? s + pad : s, "latin1");
  return new Uint8Array(b);
}

export function u16(...values: number[]): Uint8Array {
  const b = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => b.writeUInt16LE(v & 0xffff, 2 * i));
  return new Uint8Array(b);
}

export function element(tag: number, vr: string, value: Uint8Array | string): DicomElement {
  return { tag, vr, value: typeof value === "string" ? text(vr, value) : value };
}

/** Explicit VR little endian encoding of elements, sorted by tag. */
export function encodeElements(elements: readonly DicomElement[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    const long = LONG_VRS.has(e.vr);
    const head = Buffer.alloc(long ? 12 : 8);
    head.writeUInt16LE(e.tag >>> 16, 0);
    head.writeUInt16LE(e.tag & 0xffff, 2);
    head.write(e.vr, 4, "latin1");
    if (long) head.writeUInt32LE(e.value.length, 8);
    else head.writeUInt16LE(e.value.length & 0xffff, 6);
    parts.push(head, Buffer.from(e.value));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The data set elements of one MR slice. */
export function sliceElements(s: DicomSpec = {}): DicomElement[] {
  const rows = s.rows ?? 4, cols = s.cols ?? 5;
  const pixels = s.pixels ?? Uint16Array.from({ length: rows * cols }, (_, i) => (i * 7) % 100);
  const list: DicomElement[] = [
    element(0x00080016, "UI", MR_STORAGE),
    element(0x00080018, "UI", s.sopUid ?? `1.2.3.4.${s.instanceNumber ?? 1}`),
    element(0x00080060, "CS", "MR"),
    element(0x00100010, "PN", s.patientId ?? "PAT1"),
    element(0x00100020, "LO", s.patientId ?? "PAT1"),
    element(0x0020000d, "UI", s.studyUid ?? "1.2.3.1"),
    element(0x0020000e, "UI", s.seriesUid ?? "1.2.3.2"),
    element(0x00200011, "IS", String(s.seriesNumber ?? 1)),
    element(0x00200013, "IS", String(s.instanceNumber ?? 1)),
    element(0x00200032, "DS", s.position ?? "0\\0\\0"),
    element(0x00200037, "DS", s.orientation ?? "1\\0\\0\\0\\1\\0"),
    element(0x00200052, "UI", s.frameOfReferenceUid ?? "1.2.3.3"),
    element(0x00280002, "US", u16(1)),
    element(0x00280004, "CS", "MONOCHROME2"),
    element(0x00280010, "US", u16(rows)),
    element(0x00280011, "US", u16(cols)),
    element(0x00280030, "DS", s.pixelSpacing ?? "0.7\\0.8"),
    element(0x00280100, "US", u16(16)),
    element(0x00280101, "US", u16(16)),
    element(0x00280102, "US", u16(15)),
    element(0x00280103, "US", u16(0)),
    element(0x7fe00010, "OW", new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)),
  ];
  if (s.slope !== undefined) list.push(element(0x00281053, "DS", s.slope));
  if (s.intercept !== undefined) list.push(element(0x00281052, "DS", s.intercept));
  if (s.trailingPadding) list.push(element(0xfffcfffc, "OB", new Uint8Array(s.trailingPadding)));
  const replaced = new Set((s.extra ?? []).map((e) => e.tag));
  return [...list.filter((e) => !replaced.has(e.tag)), ...(s.extra ?? [])];
}

/** A Part 10 file: preamble, DICM, file meta, then the data set (deflated for TS_DEFLATED). */
export function dicomFile(s: DicomSpec = {}, elements: readonly DicomElement[] = sliceElements(s)): Uint8Array {
  const syntax = s.transferSyntax ?? TS_EXPLICIT_LE;
  const metaBody = encodeElements([
    element(0x00020001, "OB", new Uint8Array([0, 1])),
    element(0x00020002, "UI", MR_STORAGE),
    element(0x00020003, "UI", s.sopUid ?? `1.2.3.4.${s.instanceNumber ?? 1}`),
    element(0x00020010, "UI", syntax),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length, 0);
  const meta = encodeElements([element(0x00020000, "UL", new Uint8Array(groupLength))]);
  const data = encodeElements(elements);
  const body = syntax === TS_DEFLATED ? deflateRawSync(data) : data;
  return new Uint8Array(Buffer.concat([Buffer.alloc(128), Buffer.from("DICM", "latin1"), meta, metaBody, body]));
}
