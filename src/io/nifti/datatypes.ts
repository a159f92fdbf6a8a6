// datatypes.ts — NIfTI datatype codes: sizes, names, and decoding raw voxel bytes (either byte
// order) into a typed array, applying scl_slope/scl_inter as nibabel does.
import { IoError } from "../errors.js";
import { firstOverflow, type VoxelArray } from "../image.js";
import type { NiftiHeader } from "./header.js";

interface TypeInfo {
  name: string;
  bytes: number;
  /** Builds the typed array over an aligned, native-order buffer. */
  view?: (buf: ArrayBuffer, byteOffset: number, count: number) => VoxelArray;
}

const TYPES: Record<number, TypeInfo> = {
  2: { name: "uint8", bytes: 1, view: (b, o, n) => new Uint8Array(b, o, n) },
  4: { name: "int16", bytes: 2, view: (b, o, n) => new Int16Array(b, o, n) },
  8: { name: "int32", bytes: 4, view: (b, o, n) => new Int32Array(b, o, n) },
  16: { name: "float32", bytes: 4, view: (b, o, n) => new Float32Array(b, o, n) },
  64: { name: "float64", bytes: 8, view: (b, o, n) => new Float64Array(b, o, n) },
  256: { name: "int8", bytes: 1, view: (b, o, n) => new Int8Array(b, o, n) },
  512: { name: "uint16", bytes: 2, view: (b, o, n) => new Uint16Array(b, o, n) },
  768: { name: "uint32", bytes: 4, view: (b, o, n) => new Uint32Array(b, o, n) },
  // 64-bit integers become float64 (exact up to 2^53, far beyond any image intensity).
  1024: { name: "int64", bytes: 8, view: (b, o, n) => Float64Array.from(new BigInt64Array(b, o, n), Number) },
  1280: { name: "uint64", bytes: 8, view: (b, o, n) => Float64Array.from(new BigUint64Array(b, o, n), Number) },
  // Known but refused: colour and complex data are not cardiac MR intensities.
  1: { name: "binary", bytes: 0 },
  32: { name: "complex64", bytes: 8 },
  128: { name: "rgb24", bytes: 3 },
  1536: { name: "float128", bytes: 16 },
  1792: { name: "complex128", bytes: 16 },
  2048: { name: "complex256", bytes: 32 },
  2304: { name: "rgba32", bytes: 4 },
};

/** NIfTI datatype code of a typed array, for writing. */
export function datatypeOf(data: VoxelArray): number {
  if (data instanceof Uint8Array) return 2;
  if (data instanceof Int16Array) return 4;
  if (data instanceof Int32Array) return 8;
  if (data instanceof Float32Array) return 16;
  if (data instanceof Float64Array) return 64;
  if (data instanceof Int8Array) return 256;
  if (data instanceof Uint16Array) return 512;
  return 768;
}

export function datatypeName(code: number): string {
  return TYPES[code]?.name ?? `code ${code}`;
}

export function bytesPerVoxel(code: number, file: string): number {
  const t = TYPES[code];
  if (!t) throw new IoError(file, `unknown NIfTI datatype code ${code}`);
  if (!t.view) throw new IoError(file, `unsupported NIfTI datatype ${t.name} (only real-valued scalar images)`);
  return t.bytes;
}

/**
 * The voxels as a typed array in native order, scaled. `owned` says that `raw` lies in a buffer
 * nobody else uses (a freshly inflated one): when it is suitably aligned the typed array is a view
 * of it (byte-swapped in place if need be) instead of a copy, so a large volume is held once.
 */
export function decodeVoxels(raw: Uint8Array, h: NiftiHeader, count: number, file: string, owned = false): VoxelArray {
  const t = TYPES[h.datatype];
  if (!t?.view) throw new IoError(file, `unsupported NIfTI datatype ${datatypeName(h.datatype)}`);
  const inPlace = owned && raw.byteOffset % t.bytes === 0;
  const bytes = inPlace ? raw : Uint8Array.from(raw);
  if (!h.littleEndian && t.bytes > 1) swapBytes(bytes, t.bytes);
  const values = t.view(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
  return applyScaling(values, h.sclSlope, h.sclInter, file);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * As nibabel: a zero or non-finite slope means "no scaling"; a valid slope needs a finite
 * intercept. Scaling that turns finite voxels into infinities (a huge slope overflowing float32)
 * is refused rather than written on as a volume of inf.
 */
function applyScaling(values: VoxelArray, slope: number, inter: number, file: string): VoxelArray {
  if (!Number.isFinite(slope) || slope === 0) return values;
  if (!Number.isFinite(inter)) throw new IoError(file, `scl_slope ${slope} with a non-finite scl_inter ${inter}`);
  const [s, b] = [slope, inter];
  if (s === 1 && b === 0) return values;
  const out = values instanceof Float64Array ? new Float64Array(values.length) : new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * s + b;
  const bad = firstOverflow(values, out);
  if (bad >= 0) {
    throw new IoError(file, `scl_slope ${s} and scl_inter ${b} turn voxel ${bad} (${values[bad]}) into ${out[bad]}: the scaled image is not finite`);
  }
  return out;
}

