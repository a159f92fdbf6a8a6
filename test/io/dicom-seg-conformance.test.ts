// DICOM SEG conformance: SEGs written from the committed synthetic DICOM fixtures, the DICOM
// conformance samples and the Sunnybrook cine in ../shared (one SEG for all 20 phases, and one for
// a single phase) are checked by dicom3tools' dciodvfy, an independent IOD validator, and must
// have no error that their source images do not already have (dciodvfy.ts says how inherited
// errors are told apart); and each reads back with dcmjs to the labels of the very images it
// references (seg-readback.ts). The patient/study attributes are the source's, the UIDs ours valid.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dcmjs from "dcmjs";
import { loadVolume, readDicomFile, scanDicomFolder, writeDicomSeg } from "../../src/io/dicom/index.js";
import { isGeneratedUid, isValidUid, IMPLEMENTATION_CLASS_UID } from "../../src/io/dicom/uid.js";
import type { LabelVolume } from "../../src/io/image.js";
import { REPO, SHARED, skipUnless } from "../paths.js";
import { dciodvfy, dciodvfyMissing, ownErrors } from "./dciodvfy.js";
import { checkSegRoundTrip, hashLabels, readNaturalized, SEG_CLASSES } from "./seg-readback.js";

const SYNTH = join(REPO, "test", "fixtures", "io", "dicom-synth");
const SAMPLES = join(SHARED, "dicom-samples");
const SUNNYBROOK = join(SHARED, "sunnybrook", "dicoms", "SCD0000101");
/** The samples cardioseg reads as images (the others are refused by the reader, tested elsewhere). */
const IMAGE_SAMPLES = [
  "CT_small", "ExplVR_BigEnd", "JPEG2000", "MR_small", "MR_small_RLE", "MR_small_bigendian", "MR_small_expb",
  "MR_small_implicit", "MR_small_jp2klossless", "MR_small_jpeg_ls_lossless", "MR_small_padded",
];
const NO_VALIDATOR = dciodvfyMissing();

interface Written { name: string; seg: string; sources: string[] }
let dir: string;
const written = new Map<string, Written[]>();

function writeFrom(group: string, name: string, labels: LabelVolume | LabelVolume[], sources: string[], source?: Parameters<typeof writeDicomSeg>[2]): void {
  const seg = join(dir, `${group}-${name}.dcm`);
  writeDicomSeg(seg, labels, source ?? sources, SEG_CLASSES);
  written.set(group, [...(written.get(group) ?? []), { name, seg, sources }]);
}

/** Every volume of a DICOM folder's series: one SEG per series (all phases), and one of phase 0 alone. */
function writeSeries(group: string, folder: string): void {
  for (const [n, s] of scanDicomFolder(folder).series.entries()) {
    const phases = s.volumes.map((ref) => ({ ref, labels: hashLabels(loadVolume(ref)) }));
    const files = phases.flatMap((p) => p.ref.slices.map((i) => i.file));
    writeFrom(group, `series${s.seriesNumber ?? n}-study`, phases.map((p) => p.labels), files, s);
    if (phases.length > 1) writeFrom(group, `series${s.seriesNumber ?? n}-phase0`, phases[0].labels, phases[0].ref.slices.map((i) => i.file), s);
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "cardioseg-segconf-"));
  writeSeries("synth", join(SYNTH, "cine"));
  for (const f of ["multiframe", "deflated", "jpeg-lossless"]) {
    const file = join(SYNTH, `${f}.dcm`);
    writeFrom("synth", f, hashLabels(readDicomFile(file)), [file]);
  }
  if (!skipUnless(SAMPLES)) {
    for (const f of IMAGE_SAMPLES) {
      const file = join(SAMPLES, `${f}.dcm`);
      writeFrom("samples", f, hashLabels(readDicomFile(file)), [file]);
    }
  }
  if (!skipUnless(SUNNYBROOK)) writeSeries("sunnybrook", SUNNYBROOK);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function assertConformant(group: string): void {
  const reports = new Map<string, string[]>();
  const report = (f: string): string[] => reports.get(f) ?? reports.set(f, dciodvfy(f)).get(f)!;
  for (const w of written.get(group) ?? []) {
    const lines = report(w.seg);
    assert.ok(lines.includes("Segmentation"), `${w.name}: dciodvfy did not validate it as a Segmentation IOD:\n${lines.join("\n")}`);
    const own = ownErrors(lines, w.sources.map(report));
    assert.deepEqual(own, [], `${w.name}: dciodvfy errors of the SEG's own:\n${own.join("\n")}`);
  }
}

function assertRoundTrip(group: string, expected: number): void {
  const list = written.get(group) ?? [];
  assert.equal(list.length, expected, `SEGs written for ${group}: ${list.map((w) => w.name).join(", ")}`);
  for (const w of list) assert.ok(checkSegRoundTrip(w.seg, w.sources) > 0, w.name);
}

test("SEGs from the synthetic fixtures (cine, multi-frame, deflated, JPEG): no dciodvfy error of their own", { skip: NO_VALIDATOR }, () => {
  assertConformant("synth");
});

test("SEGs from the synthetic fixtures read back with dcmjs to the labels of the images they reference", () => {
  // cine series A: both phases in one SEG and phase 0 alone; series B; three single files.
  assertRoundTrip("synth", 6);
  const study = written.get("synth")!.find((w) => w.sources.length === 6)!;
  const seg = readNaturalized(study.seg);
  assert.equal(seg.NumberOfFrames, 3 * 2 * 3, "3 segments x 2 phases x 3 slices");
  const labels = (seg.DimensionIndexSequence as Record<string, unknown>[]).map((d) => d.DimensionDescriptionLabel);
  assert.deepEqual(labels, ["ReferencedSegmentNumber", "TemporalPositionIndex", "ImagePositionPatient"]);
});

test("SEGs from the DICOM conformance samples: no dciodvfy error of their own", { skip: skipUnless(SAMPLES) || NO_VALIDATOR }, () => {
  assertConformant("samples");
});

test("SEGs from the DICOM conformance samples read back to the labels of their images", { skip: skipUnless(SAMPLES) }, () => {
  assertRoundTrip("samples", IMAGE_SAMPLES.length);
});

test("Sunnybrook cine: the 20-phase SEG and a one-phase SEG have no dciodvfy error of their own", { skip: skipUnless(SUNNYBROOK) || NO_VALIDATOR }, () => {
  assertConformant("sunnybrook");
});

test("Sunnybrook cine: both SEGs read back, slice for slice and phase for phase, on the right images", { skip: skipUnless(SUNNYBROOK) }, () => {
  assertRoundTrip("sunnybrook", 2);
  const study = written.get("sunnybrook")!.find((w) => w.name.endsWith("-study"))!;
  assert.equal(study.sources.length, 240);
});

test("a SEG carries the source's patient, study and frame of reference, Type 2 ones empty where the source has none", { skip: skipUnless(SAMPLES) }, () => {
  const copied = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate", "StudyTime",
    "ReferringPhysicianName", "StudyID", "AccessionNumber", "FrameOfReferenceUID", "PositionReferenceIndicator"];
  for (const name of ["CT_small", "ExplVR_BigEnd"]) {
    const w = written.get("samples")!.find((x) => x.name === name)!;
    const seg = readNaturalized(w.seg), src = readNaturalized(w.sources[0]);
    for (const k of copied) {
      assert.ok(k in seg, `${name}: ${k} present`);
      if (name === "ExplVR_BigEnd" && (k === "StudyDate" || k === "StudyTime")) continue;
      if (k in src) assert.deepEqual(seg[k], src[k], `${name}: ${k} copied`);
      else if (!k.endsWith("UID")) assert.ok(seg[k] === "" || (Array.isArray(seg[k]) && (seg[k] as unknown[]).length === 0), `${name}: ${k} empty`);
    }
  }
  // ExplVR_BigEnd has no patient id, birth date or frame of reference: empty, empty, generated;
  // its ACR-NEMA style study date and time are written in DICOM's form.
  const w = written.get("samples")!.find((x) => x.name === "ExplVR_BigEnd")!;
  const seg = readNaturalized(w.seg);
  assert.equal(seg.PatientID, "");
  assert.equal(seg.PatientBirthDate, "");
  assert.deepEqual([seg.StudyDate, seg.StudyTime], ["19970424", "140438"]);
  assert.ok(isGeneratedUid(String(seg.FrameOfReferenceUID)), String(seg.FrameOfReferenceUID));
});

test("the UIDs a SEG generates come from one root (2.25 + UUID), without leading zeroes; copied ones stay exact", () => {
  for (const w of written.get("synth") ?? []) {
    const seg = readNaturalized(w.seg);
    const meta = seg._fileMeta as Record<string, unknown>;
    const generated = [seg.SOPInstanceUID, seg.SeriesInstanceUID, meta.MediaStorageSOPInstanceUID,
      (seg.DimensionOrganizationSequence as Record<string, unknown>[])[0].DimensionOrganizationUID];
    for (const uid of generated) assert.ok(isGeneratedUid(String(uid)), `${w.name}: ${String(uid)}`);
    assert.equal(meta.ImplementationClassUID, IMPLEMENTATION_CLASS_UID);
    assert.ok(isGeneratedUid(IMPLEMENTATION_CLASS_UID));
    assert.equal(seg.SOPInstanceUID, meta.MediaStorageSOPInstanceUID);
    const src = readNaturalized(w.sources[0]);
    assert.equal(seg.StudyInstanceUID, src.StudyInstanceUID);
    assert.equal(seg.FrameOfReferenceUID, src.FrameOfReferenceUID);
  }
  assert.ok(!isValidUid("2.16.124.113543.6006.99.07295928723237281666"), "a leading zero is invalid");
  assert.ok(!isGeneratedUid(`2.25.${(1n << 128n).toString()}`), "more than 128 bits is not a UUID");
});

test("the validator check itself: a missing Type 2 attribute and a bad value of our own are reported, inherited ones not", { skip: NO_VALIDATOR || skipUnless(SUNNYBROOK) }, () => {
  const w = written.get("sunnybrook")!.find((x) => x.name.endsWith("-phase0"))!;
  const sources = w.sources.map(dciodvfy);
  assert.deepEqual(ownErrors(dciodvfy(w.seg), sources), []);
  assert.ok(dciodvfy(w.seg).some((l) => /Leading zeroes/.test(l)), "the source's leading-zero UIDs are referenced as they are");
  const seg = readNaturalized(w.seg, true);
  delete seg.StudyDate;
  seg.ContentDate = "2024AB01";
  const broken = join(dir, "broken.dcm");
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(seg._fileMeta as Record<string, unknown>));
  delete seg._fileMeta;
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(seg);
  writeFileSync(broken, new Uint8Array(dict.write()));
  const own = ownErrors(dciodvfy(broken), sources);
  assert.ok(own.some((l) => /Type 2 Required Element=<StudyDate>/.test(l)), own.join("\n"));
  assert.ok(own.some((l) => /Content Date .*2024AB01/.test(l)), own.join("\n"));
});

test("a patient name outside ASCII is copied as UTF-8 and declared (ISO_IR 192)", { skip: NO_VALIDATOR }, () => {
  const a0 = join(SYNTH, "cine", "a0.dcm");
  const ds = readNaturalized(a0, true);
  ds.SpecificCharacterSet = "ISO_IR 192";
  ds.PatientName = "Müller^Jörg";
  const meta = ds._fileMeta as Record<string, unknown>;
  delete ds._fileMeta;
  meta.TransferSyntaxUID = "1.2.840.10008.1.2.1";
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  const src = join(dir, "umlaut.dcm"), seg = join(dir, "umlaut-seg.dcm");
  writeFileSync(src, new Uint8Array(dict.write()));
  writeDicomSeg(seg, hashLabels(readDicomFile(src)), [src], SEG_CLASSES);
  const back = readNaturalized(seg);
  assert.equal(back.SpecificCharacterSet, "ISO_IR 192");
  assert.deepEqual(back.PatientName, [{ Alphabetic: "Müller^Jörg" }]);
  assert.deepEqual(ownErrors(dciodvfy(seg), [dciodvfy(src)]), []);
  assert.ok(readdirSync(dir).length > 0);
});
