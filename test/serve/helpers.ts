// test/serve — tests of `cardioseg serve`: the HTTP contract and its security (server.test.ts, no
// model, no browser), the CLI (cli.test.ts) and the page in a real Chromium (web.test.ts).
// helpers.ts: the toy model the page segments with, the browser, and small HTTP helpers.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dcmjs from "dcmjs";
import { parseAcdcInfo } from "../../src/io/datasets/index.js";
import type { ImageVolume } from "../../src/io/image.js";
import { readNifti, writeNifti } from "../../src/io/nifti/index.js";
import { writeSynthDataset } from "../../src/synth/dataset.js";
import { runTraining } from "../../src/train/run.js";
import { quiet, TEST_TINY, type TinyRun } from "../infer/helpers.js";

/**
 * configs/test-tiny.yaml made able to find the phantom's LV within seconds: native resolution
 * (1.3 mm, 48 px crops), output stride 8, no augmentation or dropout, AdamW. 200 iterations
 * (about 8 s on 2 idle cores) give an LV Dice near 0.9 on the training phantoms; what matters
 * here is only that the model predicts an LV the page can show and measure.
 */
export const WEB_TOY_OVERRIDES = [
  "train.iterations=200", "train.valEvery=200", "train.checkpointEvery=200", "train.batchSize=4", "train.iterSize=1",
  "data.spacing=1.3", "data.cropSize=48", "data.augment=false", "model.outputStride=8", "model.width=8",
  "model.auxLoss=false", "model.dropout=0", "model.norm=group", "model.normGroups=2",
  "optim.name=adamw", "optim.lr=0.01", "optim.headLrMult=1", "loss.name=ce",
];

/** 3 phantom patients of 48 px in the ACDC layout and the toy model trained on them. */
export async function toyRun(prefix: string): Promise<TinyRun> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, "data"), runDir = join(root, "runs", "toy");
  writeSynthDataset({ out: dataDir, cases: 3, seed: 5, size: 48, preview: false });
  await runTraining({ config: TEST_TINY, data: dataDir, out: runDir, overrides: WEB_TOY_OVERRIDES, ...quiet });
  return { root, dataDir, runDir };
}

/**
 * Phantom patient001's ED and ES frames as one 4D cine whose affine swaps and flips the in-plane
 * axes, so that NiiVue's anatomical (RAS) order differs from the file's voxel order and the page's
 * mapping between the two is exercised.
 */
export function writeCine(run: TinyRun, dir: string): { path: string; truth: ImageVolume[] } {
  const patient = join(run.dataDir, "patient001");
  const info = parseAcdcInfo(readFileSync(join(patient, "Info.cfg"), "utf8"), "Info.cfg");
  const frame = (n: number): string => join(patient, `patient001_frame${String(n).padStart(2, "0")}`);
  const ed = readNifti(`${frame(info.ed)}.nii.gz`), es = readNifti(`${frame(info.es)}.nii.gz`);
  const [sx, sy, sz] = ed.spacing;
  const affine = [0, sy, 0, -20, -sx, 0, 0, 35, 0, 0, sz, 4, 0, 0, 0, 1];
  const n = ed.data.length;
  const data = new Float32Array(2 * n);
  data.set(ed.data);
  data.set(es.data, n);
  const path = join(dir, "Doe_Jane_cine.nii.gz");
  writeNifti(path, { ...ed, data, affine, dims: [...ed.dims, 2], spacing: [sx, sy, sz, 30] });
  const truth = [info.ed, info.es].map((f) => ({ ...readNifti(`${frame(f)}_gt.nii.gz`), affine }));
  return { path, truth };
}

/** Debian's chromium (scripts/setup.mjs installs it), or CHROMIUM_PATH. */
export function findChromium(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (p && existsSync(p)) return p;
  return undefined;
}

/**
 * Headless Chromium flags: no sandbox (tests run as root here), and WebGL2 through SwiftShader,
 * the software GL the machine has (decisions.md: NiiVue needs WebGL2).
 */
export const CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--window-size=1200,800"];

export interface HttpResult { status: number; headers: Headers; text: string }

export async function http(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A NIfTI-1 header claiming dims x float32 voxels, followed by almost nothing. */
export function hugeClaimNifti(dims: readonly number[]): Buffer {
  const b = Buffer.alloc(352 + 16);
  b.writeInt32LE(348, 0);
  b.writeInt16LE(dims.length, 40);
  dims.forEach((d, i) => b.writeInt16LE(d, 42 + 2 * i));
  for (let i = dims.length; i < 7; i++) b.writeInt16LE(1, 42 + 2 * i);
  b.writeInt16LE(16, 70); // float32
  b.writeInt16LE(32, 72);
  for (let i = 0; i < 8; i++) b.writeFloatLE(1, 76 + 4 * i);
  b.writeFloatLE(352, 108);
  b.write("n+1\0", 344, "latin1");
  return b;
}

/** A fresh DICOM UID (2.25 + a random 128-bit integer, PS3.5 B.2). */
function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString("hex")}`)}`;
}

export interface DicomCine {
  dir: string;
  /** SOPInstanceUID of each (phase, slice): uids[t][k]. */
  uids: string[][];
}

/**
 * 3D frames of one geometry written as a DICOM MR cine (one uncompressed file per slice and phase,
 * one series, TemporalPositionIdentifier and TriggerTime per phase), as a scanner would send it.
 * Voxel values are rounded to uint16.
 */
export function writeDicomCine(dir: string, frames: readonly ImageVolume[], patientName = "Doe^Jane"): DicomCine {
  mkdirSync(dir, { recursive: true });
  const [study, series, frameOfReference] = [newUid(), newUid(), newUid()];
  const [nx, ny, nz] = frames[0].dims;
  // A DS holds 16 characters.
  const [sx, sy, sz] = frames[0].spacing.map((v) => Number(v.toPrecision(10)));
  const plane = nx * ny;
  const uids = frames.map((frame, t) => Array.from({ length: nz }, (_, k) => {
    const pixels = new Uint16Array(plane);
    for (let p = 0; p < plane; p++) pixels[p] = Math.min(65535, Math.max(0, Math.round(frame.data[k * plane + p])));
    const uid = newUid();
    const dataset = {
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.4", SOPInstanceUID: uid, StudyInstanceUID: study, SeriesInstanceUID: series,
      FrameOfReferenceUID: frameOfReference, Modality: "MR", PatientName: patientName, PatientID: "TEST-0001",
      SeriesDescription: "cine phantom", SeriesNumber: 5, InstanceNumber: t * nz + k + 1,
      Rows: ny, Columns: nx, PixelSpacing: [sy, sx], SliceThickness: sz, SpacingBetweenSlices: sz,
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0], ImagePositionPatient: [-20, -30, k * sz],
      TemporalPositionIdentifier: t + 1, NumberOfTemporalPositions: frames.length, TriggerTime: t * 30,
      SamplesPerPixel: 1, PhotometricInterpretation: "MONOCHROME2", BitsAllocated: 16, BitsStored: 16, HighBit: 15,
      PixelRepresentation: 0, PixelData: [pixels.buffer], _vrMap: { PixelData: "OW" },
    };
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer, MediaStorageSOPClassUID: dataset.SOPClassUID,
      MediaStorageSOPInstanceUID: uid, TransferSyntaxUID: "1.2.840.10008.1.2.1", ImplementationClassUID: "2.25.1",
    };
    const { DicomDict, DicomMetaDictionary } = dcmjs.data;
    const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
    writeFileSync(join(dir, `IM_${String(t * nz + k + 1).padStart(4, "0")}.dcm`), new Uint8Array(dict.write()));
    return uid;
  }));
  return { dir, uids };
}
