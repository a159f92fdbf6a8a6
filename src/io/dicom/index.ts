// src/io/dicom — DICOM reading (Part 10 and bare files, all uncompressed syntaxes, JPEG family
// and RLE through maintained codecs), folder scanning into series / stacks / cine phases, and
// DICOM SEG export. index.ts is its public face; parse.ts -> header.ts -> pixels.ts (+ codecs)
// -> read.ts -> series.ts, and seg.ts for writing.
export { readDicomFile, readDicomBytes } from "./read.js";
export { scanDicomFolder, scanDicomFiles, loadDicomSeries, loadVolume } from "./series.js";
export type { DicomSeries, DicomScan, DicomVolumeRef, DicomFileError } from "./series.js";
export type { DicomInstance } from "./header.js";
export { writeDicomSeg } from "./seg.js";
export type { DicomSegSource } from "./seg.js";
