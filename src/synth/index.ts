// src/synth — the synthetic cardiac cine MRI phantom (ACDC-like data generated from a seed).
// index.ts is the folder's public API: generate cases in memory, write a data set, measure it.
export { GROUPS, type Group, type PatientSpec } from "./spec.js";
export { caseId, DEFAULT_SIZE, formatInfo, generateCase, MAX_SIZE, MIN_SIZE, type PhantomCase, type PhantomFrame, type PhantomInfo } from "./phantom.js";
export { writeCase, writePreview, writeSynthDataset, type SynthOptions, type SynthResult } from "./dataset.js";
export { labelVolumeMm3, midSliceStats, midVentricularSlice, type MidSliceStats } from "./stats.js";
export { LABEL } from "./render.js";
