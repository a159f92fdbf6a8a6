// pixels.ts owns turning the pixel data element of one instance into voxel values: native
// (little/big endian, planar or interleaved) or encapsulated frames through codecs.ts, every
// size checked against the bytes actually present before anything is allocated; colour is
// reduced to luminance (the models are single-channel) and the modality rescale is applied.
import dicomParser from "dicom-parser";
import type { DataSet, Element } from "dicom-parser";
import { IoError } from "../errors.js";
import { MAX_VOXELS, firstOverflow, type VoxelArray } from "../image.js";
import { decodeFrame, isCompressedSyntaxSupported, type FrameSpec } from "./codecs.js";
import type { DicomInstance } from "./header.js";
import { TS } from "./parse.js";

const NATIVE = new Set<string>([TS.implicitLE, TS.explicitLE, TS.deflatedLE, TS.explicitBE]);

/** All frames of one instance, frame after frame, each row-major (column index fastest). */
export function readPixels(ds: DataSet, inst: DicomInstance): VoxelArray {
  const file = inst.file;
  checkImageHeader(inst);
  const spec: FrameSpec = { rows: inst.rows, cols: inst.cols, samplesPerPixel: inst.samplesPerPixel, bitsAllocated: inst.bitsAllocated };
  const el = ds.elements.x7fe00010;
  if (!el) throw new IoError(file, "no integer pixel data (7FE0,0010); float pixel data is not supported");
  const le = el.encapsulatedPixelData ? encapsulatedBytes(ds, el, inst, spec) : nativeBytes(ds, el, inst);
  const raw = typedSamples(le, inst);
  const grey = inst.samplesPerPixel === 1 ? raw : luminance(raw, inst);
  return rescale(grey, inst.rescaleSlope, inst.rescaleIntercept, file);
}

/** The header checks of readPixels without decoding: is this an image whose pixels are all there? */
export function checkPixelsPresent(ds: DataSet, inst: DicomInstance): void {
  checkImageHeader(inst);
  const el = ds.elements.x7fe00010;
  if (!el) throw new IoError(inst.file, "no integer pixel data (7FE0,0010); float pixel data is not supported");
  if (!el.encapsulatedPixelData) nativeAvailable(ds, el, inst);
}

function checkImageHeader(inst: DicomInstance): void {
  const file = inst.file;
  if (!inst.hasPixels) throw new IoError(file, `no pixel data (modality ${inst.modality || "unknown"}, SOP class ${inst.sopClassUID || "unknown"}): not an image`);
  if (inst.rows < 1 || inst.cols < 1) throw new IoError(file, `bad image size ${inst.cols}x${inst.rows} (Rows/Columns missing or zero)`);
  if (![8, 16, 32].includes(inst.bitsAllocated)) throw new IoError(file, `unsupported BitsAllocated ${inst.bitsAllocated}`);
  if (inst.samplesPerPixel !== 1 && inst.samplesPerPixel !== 3) throw new IoError(file, `unsupported SamplesPerPixel ${inst.samplesPerPixel}`);
  if (inst.samplesPerPixel === 3 && inst.bitsAllocated !== 8) throw new IoError(file, `unsupported colour image with BitsAllocated ${inst.bitsAllocated}`);
  if (inst.photometric === "YBR_FULL_422" && NATIVE.has(inst.transferSyntax)) throw new IoError(file, "unsupported native YBR_FULL_422 (subsampled) pixel data");
  const voxels = inst.rows * inst.cols * inst.frames * inst.samplesPerPixel;
  if (voxels > MAX_VOXELS) throw new IoError(file, `header claims ${voxels} samples (${inst.cols}x${inst.rows}x${inst.frames}), more than the ${MAX_VOXELS} allowed`);
  if (!NATIVE.has(inst.transferSyntax) && !isCompressedSyntaxSupported(inst.transferSyntax)) {
    throw new IoError(file, `unsupported transfer syntax ${inst.transferSyntax || "(none)"} in ${file}`);
  }
}

function frameBytes(inst: DicomInstance): number {
  return inst.rows * inst.cols * inst.samplesPerPixel * (inst.bitsAllocated / 8);
}

function nativeAvailable(ds: DataSet, el: Element, inst: DicomInstance): number {
  const need = frameBytes(inst) * inst.frames;
  const available = Math.min(el.length, ds.byteArray.length - el.dataOffset);
  if (!(available >= need)) {
    throw new IoError(inst.file, `truncated pixel data: ${Math.max(0, available)} bytes present, ${need} needed for ${inst.cols}x${inst.rows}x${inst.frames} at ${inst.bitsAllocated} bits`);
  }
  return need;
}

function nativeBytes(ds: DataSet, el: Element, inst: DicomInstance): Uint8Array {
  const need = nativeAvailable(ds, el, inst);
  // A copy (Buffer.slice would be a view, and the swap below would write into the file's bytes).
  const out = new Uint8Array(ds.byteArray.subarray(el.dataOffset, el.dataOffset + need));
  if (inst.transferSyntax === TS.explicitBE) swapToLittleEndian(out, el, inst.bitsAllocated);
  return inst.samplesPerPixel > 1 && inst.planarConfiguration === 1 ? planarToInterleaved(out, inst) : out;
}

/** Big endian OW words are swapped even when they hold two 8-bit samples (PS3.5 8.1.1). */
function swapToLittleEndian(bytes: Uint8Array, el: Element, bitsAllocated: number): void {
  const width = bitsAllocated === 8 ? (el.vr === "OW" ? 2 : 1) : bitsAllocated / 8;
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

function planarToInterleaved(bytes: Uint8Array, inst: DicomInstance): Uint8Array {
  const plane = inst.rows * inst.cols;
  const out = new Uint8Array(bytes.length);
  for (let f = 0; f < inst.frames; f++) {
    const base = f * plane * 3;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[base + p * 3 + c] = bytes[base + c * plane + p];
  }
  return out;
}

function encapsulatedBytes(ds: DataSet, el: Element, inst: DicomInstance, spec: FrameSpec): Uint8Array {
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new IoError(inst.file, "encapsulated pixel data has no fragments");
  const size = frameBytes(inst);
  const out = new Uint8Array(size * inst.frames);
  for (let f = 0; f < inst.frames; f++) {
    const encoded = wrapParser(inst.file, () => encodedFrame(ds, el, f, inst));
    out.set(decodeFrame(inst.transferSyntax, encoded, spec, inst.file), f * size);
  }
  return out;
}

function encodedFrame(ds: DataSet, el: Element, frame: number, inst: DicomInstance): Uint8Array {
  const fragments = el.fragments ?? [];
  if (inst.frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
  if ((el.basicOffsetTable ?? []).length > 0) return dicomParser.readEncapsulatedImageFrame(ds, el, frame);
  if (fragments.length === inst.frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, frame, 1);
  if (inst.transferSyntax.startsWith("1.2.840.10008.1.2.4.5") || inst.transferSyntax.startsWith("1.2.840.10008.1.2.4.7")) {
    const table = dicomParser.createJPEGBasicOffsetTable(ds, el);
    return dicomParser.readEncapsulatedImageFrame(ds, el, frame, table);
  }
  throw new IoError(inst.file, `cannot split ${fragments.length} fragments into ${inst.frames} frames without an offset table`);
}

function wrapParser<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IoError) throw err;
    throw new IoError(file, `corrupt encapsulated pixel data (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

function typedSamples(le: Uint8Array, inst: DicomInstance): VoxelArray {
  const signed = inst.pixelRepresentation === 1;
  const buf = le.buffer.slice(le.byteOffset, le.byteOffset + le.byteLength);
  switch (inst.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(buf) : new Uint8Array(buf);
    case 16:
      return signed ? new Int16Array(buf) : new Uint16Array(buf);
    default:
      return signed ? new Int32Array(buf) : new Uint32Array(buf);
  }
}

/** RGB -> ITU-R BT.601 luma; native YBR keeps its Y channel, which already is luma. */
function luminance(raw: VoxelArray, inst: DicomInstance): Float32Array {
  const n = raw.length / 3;
  const out = new Float32Array(n);
  const ybr = inst.photometric.startsWith("YBR") && !isCompressedSyntaxSupported(inst.transferSyntax);
  for (let p = 0; p < n; p++) {
    out[p] = ybr ? raw[3 * p] : 0.299 * raw[3 * p] + 0.587 * raw[3 * p + 1] + 0.114 * raw[3 * p + 2];
  }
  return out;
}

/** The modality rescale (slope, intercept) in float32; values it would make infinite are refused. */
function rescale(data: VoxelArray, slope: number, intercept: number, file: string): VoxelArray {
  if (slope === 1 && intercept === 0) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * slope + intercept;
  const bad = firstOverflow(data, out);
  if (bad >= 0) {
    throw new IoError(file, `RescaleSlope ${slope} and RescaleIntercept ${intercept} turn stored value ${data[bad]} into ${out[bad]}: the rescaled image is not finite`);
  }
  return out;
}
