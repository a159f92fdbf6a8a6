// inputs.ts — fast-check generators of hostile inputs, structure-aware: a valid file is built from
// a few parameters (builders.ts), then header fields are set to interesting values (0, -1, NaN,
// huge, parallel vectors, near-equal numbers…), then bytes are flipped, cut or padded, or the file
// is gzipped into a bomb. A case is a small folder: relative path -> bytes (or a marker for a
// dangling link or a sub-folder), so every target (reader or command) takes the same shape.
import fc from "fast-check";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { NIFTI1, TS_DEFLATED, TS_EXPLICIT_LE, dicomFile, element, niftiBytes, patchNifti, sliceElements, u16, type DicomElement, type DicomSpec } from "./builders.js";

/** A file's content, or a special entry. */
export type Entry = Uint8Array | { link: string } | { dir: true };
export type FuzzCase = Record<string, Entry>;

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

// ---------------------------------------------------------------- byte-level mutation

type Mutation = { kind: "flip"; at: number; bit: number } | { kind: "set"; at: number; value: number }
  | { kind: "cut"; keep: number } | { kind: "append"; bytes: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cut" as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("append" as const), bytes: fc.integer({ min: 1, max: 4096 }) }) },
).map((m) => ("at" in m ? { ...m, at: Math.min(m.at, 0.999999) } : m)) as fc.Arbitrary<Mutation>;

/** Mutations land in the first `headerBytes` two times out of three (where the structure is). */
export function mutate(bytes: Uint8Array, list: readonly Mutation[], headerBytes = 1024): Uint8Array {
  let out = Uint8Array.from(bytes);
  list.forEach((m, i) => {
    const span = i % 3 === 2 ? out.length : Math.min(headerBytes, out.length);
    if (out.length === 0) return;
    if (m.kind === "flip") out[Math.floor(m.at * span)] ^= 1 << m.bit;
    else if (m.kind === "set") out[Math.floor(m.at * span)] = m.value;
    else if (m.kind === "cut") out = out.slice(0, Math.floor(m.keep * out.length));
    else out = Uint8Array.from([...out, ...new Uint8Array(m.bytes).map((_, j) => (j * 31) & 255)]);
  });
  return out;
}

const mutations = (max: number): fc.Arbitrary<Mutation[]> => fc.array(mutation, { maxLength: max });

// ---------------------------------------------------------------- numbers worth trying

const weirdFloat = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 1.5, 1e-30, 1e-45, 1e30, 3.4e38, -3.4e38, 1e39, Number.NaN, Infinity, -Infinity, 0.001, 0.0010000000000000002),
  fc.double(),
);
const weirdInt16 = fc.oneof(fc.constantFrom(0, 1, -1, 2, 3, 4, 5, 7, 8, 255, 1024, 32767, -32768), fc.integer({ min: -32768, max: 32767 }));

// ---------------------------------------------------------------- NIfTI

type NiftiPatch =
  | { field: "dim" | "pixdim" | "quatern" | "qoffset" | "srow"; index: number; value: number }
  | { field: "datatype" | "bitpix" | "qformCode" | "sformCode" | "sizeofHdr"; value: number }
  | { field: "voxOffset" | "sclSlope" | "sclInter"; value: number }
  | { field: "magic"; text: string };

const niftiPatch: fc.Arbitrary<NiftiPatch> = fc.oneof(
  fc.record({ field: fc.constantFrom("dim" as const), index: fc.integer({ min: 0, max: 7 }), value: weirdInt16 }),
  fc.record({ field: fc.constantFrom("pixdim" as const), index: fc.integer({ min: 0, max: 7 }), value: weirdFloat }),
  fc.record({ field: fc.constantFrom("quatern" as const, "qoffset" as const), index: fc.integer({ min: 0, max: 2 }), value: weirdFloat }),
  fc.record({ field: fc.constantFrom("srow" as const), index: fc.integer({ min: 0, max: 11 }), value: weirdFloat }),
  fc.record({ field: fc.constantFrom("datatype" as const), value: fc.constantFrom(0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1280, 1536, 2304, 9999) }),
  fc.record({ field: fc.constantFrom("bitpix" as const, "qformCode" as const, "sformCode" as const), value: weirdInt16 }),
  fc.record({ field: fc.constantFrom("sizeofHdr" as const), value: fc.constantFrom(348, 540, 0, -348, 1543569408) }),
  fc.record({ field: fc.constantFrom("voxOffset" as const), value: fc.oneof(fc.constantFrom(0, 351, 352, 353, 1e9, -1, Number.NaN, 3.5, 2 ** 31), weirdFloat) }),
  fc.record({ field: fc.constantFrom("sclSlope" as const, "sclInter" as const), value: weirdFloat }),
  fc.record({ field: fc.constantFrom("magic" as const), text: fc.constantFrom("n+1\0", "ni1\0", "n+2\0", "xyz\0") }),
);

function applyNiftiPatch(v: DataView, p: NiftiPatch): void {
  switch (p.field) {
    case "dim": v.setInt16(NIFTI1.dim + 2 * p.index, p.value, true); break;
    case "pixdim": v.setFloat32(NIFTI1.pixdim + 4 * p.index, p.value, true); break;
    case "quatern": v.setFloat32(NIFTI1.quatern + 4 * p.index, p.value, true); break;
    case "qoffset": v.setFloat32(NIFTI1.qoffset + 4 * p.index, p.value, true); break;
    case "srow": v.setFloat32(NIFTI1.srow + 4 * p.index, p.value, true); break;
    case "datatype": v.setInt16(NIFTI1.datatype, p.value, true); break;
    case "bitpix": v.setInt16(NIFTI1.bitpix, p.value, true); break;
    case "qformCode": v.setInt16(NIFTI1.qformCode, p.value, true); break;
    case "sformCode": v.setInt16(NIFTI1.sformCode, p.value, true); break;
    case "sizeofHdr": v.setInt32(0, p.value, true); break;
    case "voxOffset": v.setFloat32(NIFTI1.voxOffset, p.value, true); break;
    case "sclSlope": v.setFloat32(NIFTI1.sclSlope, p.value, true); break;
    case "sclInter": v.setFloat32(NIFTI1.sclInter, p.value, true); break;
    case "magic": for (let i = 0; i < 4; i++) v.setUint8(NIFTI1.magic + i, p.text.charCodeAt(i)); break;
  }
}

export interface NiftiRecipe {
  dims: number[];
  as: "float32" | "uint8" | "int16";
  labels: boolean;
  patches: NiftiPatch[];
  bytes: Mutation[];
  wrap: "none" | "gzip" | "bomb" | "gzip-cut" | "gzip-garbage";
  bombMiB: number;
}

export const niftiRecipe: fc.Arbitrary<NiftiRecipe> = fc.record({
  // Now and then a legitimately large volume (4 M voxels), for the memory measurement.
  dims: fc.oneof({ weight: 30, arbitrary: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }) }, { weight: 1, arbitrary: fc.constant([256, 256, 64] as number[]) }),
  as: fc.constantFrom("float32" as const, "uint8" as const, "int16" as const),
  labels: fc.boolean(),
  patches: fc.oneof({ weight: 1, arbitrary: fc.constant([] as NiftiPatch[]) }, { weight: 2, arbitrary: fc.array(niftiPatch, { maxLength: 4 }) }),
  bytes: fc.oneof({ weight: 2, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: mutations(3) }),
  wrap: fc.constantFrom("none" as const, "gzip" as const, "gzip" as const, "bomb" as const, "gzip-cut" as const, "gzip-garbage" as const),
  bombMiB: fc.integer({ min: 1, max: 48 }),
});

export function niftiFrom(r: NiftiRecipe): Uint8Array {
  const n = r.dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => (r.labels ? i % 4 : (i * 37) % 251));
  let raw = niftiBytes({ dims: r.dims, spacing: [1.25, 1.5, 5, 30].slice(0, Math.max(3, r.dims.length)), values, as: r.labels ? "uint8" : r.as });
  raw = patchNifti(raw, (v) => r.patches.forEach((p) => applyNiftiPatch(v, p)));
  raw = mutate(raw, r.bytes, 352);
  switch (r.wrap) {
    case "none": return raw;
    case "gzip": return gzipSync(raw);
    case "bomb": return gzipSync(Buffer.concat([raw, Buffer.alloc(r.bombMiB << 20)]), { level: 9 });
    case "gzip-cut": { const g = gzipSync(raw); return g.subarray(0, Math.floor(g.length * 0.6)); }
    case "gzip-garbage": return Buffer.concat([gzipSync(raw), Buffer.from("trailing garbage")]);
  }
}

// ---------------------------------------------------------------- DICOM

const dsText = (values: readonly string[]): fc.Arbitrary<string> => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.string({ maxLength: 24 }) });

export interface DicomRecipe {
  spec: DicomSpec;
  extra: { tag: number; vr: string; text: string }[];
  bytes: Mutation[];
}

const extraElement = fc.oneof(
  fc.record({ tag: fc.constant(0x00280008), vr: fc.constant("IS"), text: dsText(["1", "2", "0", "-1", "1e9", "abc", "65536"]) }),
  fc.record({ tag: fc.constant(0x00280100), vr: fc.constant("US"), text: dsText(["8", "16", "32", "1", "12", "0"]) }),
  fc.record({ tag: fc.constant(0x00280002), vr: fc.constant("US"), text: dsText(["1", "3", "0", "4"]) }),
  fc.record({ tag: fc.constant(0x00280103), vr: fc.constant("US"), text: dsText(["0", "1", "2"]) }),
  fc.record({ tag: fc.constant(0x00280004), vr: fc.constant("CS"), text: dsText(["MONOCHROME1", "RGB", "YBR_FULL_422", "PALETTE COLOR"]) }),
  fc.record({ tag: fc.constant(0x00180088), vr: fc.constant("DS"), text: dsText(["5", "0", "-5", "1e308", "x"]) }),
  fc.record({ tag: fc.constant(0x00181060), vr: fc.constant("DS"), text: dsText(["0", "33.5", "NaN", "-1"]) }),
  fc.record({ tag: fc.constant(0x00200100), vr: fc.constant("IS"), text: dsText(["1", "2", "-1", "99999999999"]) }),
);

const dicomSpecAll: fc.Arbitrary<DicomSpec> = fc.record({
  patientId: fc.constantFrom("PAT1", "PAT2", ""),
  studyUid: fc.constantFrom("1.2.3.1", "1.2.3.5"),
  seriesUid: fc.constantFrom("1.2.3.2", "1.2.3.6", ""),
  frameOfReferenceUid: fc.constantFrom("1.2.3.3", "1.2.3.7"),
  instanceNumber: fc.integer({ min: 1, max: 6 }),
  rows: fc.constantFrom(4, 4, 1, 0, 7, 4096),
  cols: fc.constantFrom(5, 5, 1, 0, 3, 65535),
  pixelSpacing: dsText(["0.7\\0.8", "0.7\\0.8", "0\\0", "-1\\1", "1e308\\1e308", "abc", "1", "NaN\\1", "1\\1\\1"]),
  orientation: dsText(["1\\0\\0\\0\\1\\0", "1\\0\\0\\0\\1\\0", "1\\0\\0\\1\\0\\0", "0\\0\\0\\0\\1\\0", "1\\0\\0\\0.5\\0.8\\0", "1\\0\\0\\0\\1", "0.8660254\\0.5\\0\\-0.5\\0.8660254\\0"]),
  position: dsText(["0\\0\\0", "0\\0\\5", "0\\0\\10", "0\\0\\25", "1e308\\0\\0", "0\\0"]),
  slope: fc.option(dsText(["1", "2.5", "0", "1e39", "-1e38", "1e-300"]), { nil: undefined }),
  intercept: fc.option(dsText(["0", "-1024", "1e39", "3.4e38"]), { nil: undefined }),
  trailingPadding: fc.constantFrom(0, 0, 0, 16, 1 << 20, 48 << 20),
  transferSyntax: fc.constantFrom(TS_EXPLICIT_LE, TS_EXPLICIT_LE, TS_DEFLATED),
}, { requiredKeys: [] }) as fc.Arbitrary<DicomSpec>;

const SPEC_KEYS: (keyof DicomSpec)[] = ["patientId", "studyUid", "seriesUid", "frameOfReferenceUid", "instanceNumber", "rows", "cols",
  "pixelSpacing", "orientation", "position", "slope", "intercept", "trailingPadding", "transferSyntax"];

/** Two times out of three only 0-2 fields differ from a valid slice: deep paths get reached too. */
export const dicomSpec: fc.Arbitrary<DicomSpec> = fc.oneof(
  { weight: 1, arbitrary: dicomSpecAll },
  { weight: 2, arbitrary: fc.tuple(dicomSpecAll, fc.shuffledSubarray(SPEC_KEYS, { maxLength: 2 }))
    .map(([all, keys]) => Object.fromEntries(keys.filter((k) => k in all).map((k) => [k, all[k]])) as DicomSpec) },
).map((s) => (s.transferSyntax !== TS_DEFLATED && (s.trailingPadding ?? 0) > 1 << 20 ? { ...s, trailingPadding: 1 << 20 } : s));

const rarely = <T>(arb: fc.Arbitrary<T[]>): fc.Arbitrary<T[]> => fc.oneof({ weight: 2, arbitrary: fc.constant([] as T[]) }, { weight: 1, arbitrary: arb });

export const dicomRecipe: fc.Arbitrary<DicomRecipe> = fc.record({
  spec: dicomSpec,
  extra: rarely(fc.array(extraElement, { maxLength: 3 })),
  bytes: rarely(mutations(3)),
});

function extraToElement(e: { tag: number; vr: string; text: string }): DicomElement {
  if (e.vr === "US") return element(e.tag, "US", u16(Number(e.text) || 0));
  return element(e.tag, e.vr, e.text);
}

export function dicomFrom(r: DicomRecipe): Uint8Array {
  const rows = Math.min(r.spec.rows ?? 4, 64), cols = Math.min(r.spec.cols ?? 5, 64);
  // Pixel data sized for the header's image only while that stays small: a 4096-row header then
  // claims far more pixel bytes than the file holds.
  const pixels = Uint16Array.from({ length: rows * cols }, (_, i) => (i * 13) % 4000);
  const spec = { ...r.spec, pixels };
  const els = sliceElements(spec).map((e) => e);
  const file = dicomFile(spec, [...els, ...r.extra.map(extraToElement)]);
  return mutate(file, r.bytes, 600);
}

// ---------------------------------------------------------------- contours

export const contourRecipe = fc.record({
  points: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(3, 1000, 100_000, 200_000)),
  radius: fc.oneof(fc.double({ min: 0, max: 600, noNaN: true }), fc.constantFrom(1e7, 0.5)),
  wobble: fc.double({ min: 0, max: 50, noNaN: true }),
  shape: fc.constantFrom("circle" as const, "zigzag" as const, "star" as const, "spiral" as const),
  junk: fc.array(fc.constantFrom("", "1 2 3", "x y", "NaN 1", "1e400 2", "  4.5\t6.5 ", "1,2", "-0 -0", "\u0000"), { maxLength: 3 }),
});

export function contourText(r: { points: number; radius: number; wobble: number; shape: string; junk: string[] }): string {
  const lines: string[] = [];
  for (let i = 0; i < r.points; i++) {
    const a = (2 * Math.PI * i) / Math.max(1, r.points);
    let rad = r.radius + r.wobble * Math.sin(a * 7);
    if (r.shape === "star") rad *= i % 2 ? 0.3 : 1;
    if (r.shape === "spiral") rad *= i / Math.max(1, r.points);
    const x = r.shape === "zigzag" ? (i * 256) / Math.max(1, r.points) : 128 + rad * Math.cos(a);
    const y = r.shape === "zigzag" ? (i % 2 ? 0 : 255) : 128 + rad * Math.sin(a);
    lines.push(`${x.toFixed(2)} ${y.toFixed(2)}`);
  }
  r.junk.forEach((j, k) => lines.splice(Math.floor((k * lines.length) / Math.max(1, r.junk.length)), 0, j));
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------- JSON and text inputs

/** Sets `value` at a random path of a JSON document (path chosen by the index list). */
export function setAtPath(doc: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || typeof doc !== "object" || doc === null) return value;
  const copy: unknown = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, unknown>) };
  const keys = Object.keys(copy as object);
  if (keys.length === 0) return value;
  const key = keys[path[0] % keys.length];
  (copy as Record<string, unknown>)[key] = setAtPath((copy as Record<string, unknown>)[key], path.slice(1), value);
  return copy;
}

export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, "", "x", 0, -1, 1e308, true, [], {}, [1, 2], { a: 1 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 3000 }).map((d) => JSON.parse("[".repeat(d) + "]".repeat(d)) as unknown),
);

export const metricsLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ iter: fc.oneof(fc.nat(1000), fc.constantFrom(-1, 1e300, 0.5)), loss: weirdFloat, lr: fc.constantFrom(0.001, 0.0010000000000000002, 1e-300, 0, -1, 1e300) })
    .map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.record({ iter: fc.nat(1000), val: fc.dictionary(fc.string({ maxLength: 80 }), fc.oneof(weirdFloat, jsonValue), { maxKeys: 20 }) }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

export const infoCfgText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("ED: 1\nES: 2\nGroup: NOR\n", "ED: 1\nES: 2\n", "ED: x\nES: 2\n", "", "ED: -1\nES: 99999999999999999999\n", "ED: 1.5\nES: 2\n", "\u0000\u0001"),
  fc.string({ maxLength: 100 }),
);

export { enc };

// ---------------------------------------------------------------- checkpoints (an independent writer)

/** A safetensors file written here, independently of src/tensor, with the cardioseg checksum. */
export function safetensorsBytes(values: Float32Array, metadata: Record<string, string>, checksum: boolean): Uint8Array {
  const meta = checksum ? { ...metadata, "cardioseg.sha256": "0".repeat(64) } : metadata;
  const header = JSON.stringify({ __metadata__: meta, w: { dtype: "F32", shape: [values.length], data_offsets: [0, values.byteLength] } });
  const padded = header + " ".repeat((8 - ((8 + header.length) % 8)) % 8);
  const out = Buffer.alloc(8 + padded.length + values.byteLength);
  out.writeBigUInt64LE(BigInt(padded.length), 0);
  out.write(padded, 8, "latin1");
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, 8 + padded.length);
  if (checksum) {
    const at = out.indexOf('"cardioseg.sha256":"') + '"cardioseg.sha256":"'.length;
    out.write(createHash("sha256").update(out).digest("hex"), at, "latin1");
  }
  return new Uint8Array(out);
}

/** A sealed sidecar (checkpoint.ts's format) written here independently. */
export function sealedSidecar(body: Record<string, unknown>): string {
  const json = JSON.stringify(body, null, 1);
  return `${json.slice(0, -2)},\n "sha256": "${createHash("sha256").update(json).digest("hex")}"\n}\n`;
}
