// seg-readback.ts — reads a DICOM SEG back with dcmjs (not with the code that wrote it) and checks
// it against its source images: every frame's mask equals the labels of the image it references by
// ReferencedSOPInstanceUID (and ReferencedFrameNumber), at that image's position, and every source
// image is covered once per segment. The labels are a hash of each pixel's value, so a frame
// placed on the wrong slice or phase cannot match by chance.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import dcmjs from "dcmjs";
import { readDicomFile } from "../../src/io/dicom/index.js";
import { labelLike, type ImageVolume, type LabelVolume } from "../../src/io/image.js";

export const SEG_CLASSES = ["background", "RV", "MYO", "LV"];
type Attrs = Record<string, unknown>;

/** The test labels of a pixel value: 2 bits of a multiplicative hash (0..3). */
export function labelOfValue(v: number): number {
  return Math.imul(Math.round(v) | 0, 0x9e3779b1) >>> 30;
}

export function hashLabels(image: ImageVolume): LabelVolume {
  const labels = labelLike(image);
  for (let i = 0; i < labels.data.length; i++) labels.data[i] = labelOfValue(image.data[i]);
  return labels;
}

/** A file naturalized by dcmjs (pixel data included when `pixels`). */
export function readNaturalized(path: string, pixels = false): Attrs {
  const b = readFileSync(path);
  const buffer = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const validation = dcmjs.log.getLogger("validation.dcmjs");
  validation.setLevel("silent"); // MR_small_implicit's ambiguous "xs" VRs
  const msg = dcmjs.data.DicomMessage.readFile(buffer, pixels ? {} : { untilTag: "7FE00010", includeUntilTagValue: false });
  return { ...dcmjs.data.DicomMetaDictionary.naturalizeDataset(msg.dict), _fileMeta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(msg.meta) };
}

function first(v: unknown): Attrs {
  return (v as Attrs[])[0];
}

interface FrameBack {
  segment: number;
  uid: string;
  frameNumber: number;
  position: number[];
  mask: Uint8Array;
}

function framesOf(seg: Attrs): FrameBack[] {
  const rows = seg.Rows as number, cols = seg.Columns as number;
  const bits = new Uint8Array((seg.PixelData as ArrayBuffer[])[0]);
  return (seg.PerFrameFunctionalGroupsSequence as Attrs[]).map((f, i) => {
    const derivation = (f.DerivationImageSequence as Attrs[] | undefined) ?? [];
    const source = derivation.length > 0 ? first(first(derivation).SourceImageSequence) : {};
    const mask = new Uint8Array(rows * cols);
    for (let p = 0; p < mask.length; p++) {
      const b = i * rows * cols + p;
      mask[p] = (bits[b >> 3] >> (b & 7)) & 1;
    }
    return {
      segment: first(f.SegmentIdentificationSequence).ReferencedSegmentNumber as number,
      uid: String(source.ReferencedSOPInstanceUID ?? ""),
      frameNumber: Number(source.ReferencedFrameNumber ?? 1),
      position: first(f.PlanePositionSequence).ImagePositionPatient as number[],
      mask,
    };
  });
}

/** Position of frame `n` (1-based) of a source file read by dcmjs. */
function sourcePosition(src: Attrs, n: number): number[] | undefined {
  const perFrame = src.PerFrameFunctionalGroupsSequence as Attrs[] | undefined;
  if (perFrame && perFrame.length >= n) return first(perFrame[n - 1].PlanePositionSequence).ImagePositionPatient as number[];
  return src.ImagePositionPatient as number[] | undefined;
}

/**
 * Checks the SEG at `segPath` against `sourceFiles` (the images it was written from, all of which
 * it must cover); returns the number of frames checked.
 */
export function checkSegRoundTrip(segPath: string, sourceFiles: readonly string[]): number {
  const seg = readNaturalized(segPath, true);
  const segments = (seg.SegmentSequence as Attrs[]).length;
  const sources = new Map(sourceFiles.map((f) => {
    const a = readNaturalized(f);
    return [String(a.SOPInstanceUID), { file: f, attrs: a, frames: Number(a.NumberOfFrames ?? 1) }];
  }));
  const pixels = new Map<string, ImageVolume>();
  const covered = new Set<string>();
  const frames = framesOf(seg);
  for (const [i, f] of frames.entries()) {
    const src = sources.get(f.uid);
    assert.ok(src, `frame ${i + 1} references ${f.uid || "nothing"}, not one of the ${sources.size} source images`);
    const key = `${f.segment}/${f.uid}/${f.frameNumber}`;
    assert.ok(!covered.has(key), `frame ${i + 1}: segment ${f.segment} of ${f.uid} frame ${f.frameNumber} appears twice`);
    covered.add(key);
    const image = pixels.get(src.file) ?? readDicomFile(src.file);
    pixels.set(src.file, image);
    const plane = image.dims[0] * image.dims[1];
    assert.equal(f.mask.length, plane, `frame ${i + 1}: ${f.mask.length} pixels, source ${plane}`);
    const values = image.data.subarray((f.frameNumber - 1) * plane, f.frameNumber * plane);
    let wrong = 0;
    for (let p = 0; p < plane; p++) if (f.mask[p] !== (labelOfValue(values[p]) === f.segment ? 1 : 0)) wrong++;
    assert.equal(wrong, 0, `frame ${i + 1} (segment ${f.segment}, ${src.file} frame ${f.frameNumber}): ${wrong} pixels differ`);
    const want = sourcePosition(src.attrs, f.frameNumber);
    if (want) f.position.forEach((v, a) => assert.ok(Math.abs(v - want[a]) < 1e-3 * Math.max(1, Math.abs(want[a])), `frame ${i + 1} at ${f.position}, source at ${want}`));
  }
  const images = [...sources.values()].reduce((n, s) => n + s.frames, 0);
  assert.equal(covered.size, segments * images, `${covered.size} (segment, image) frames for ${segments} segments x ${images} images`);
  return frames.length;
}
