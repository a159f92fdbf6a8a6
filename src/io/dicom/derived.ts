// derived.ts owns what an object cardioseg derives from a source image (a DICOM SEG) shares with
// that source: the Patient (PS3.3 C.7.1.1), General Study (C.7.2.1) and Frame of Reference
// (C.7.4.1) modules, copied verbatim from the source instance so that archives file the result
// with its images. Type 2 attributes the source lacks are written empty (present, zero length, as
// the standard allows); Type 1 UIDs it lacks are generated. dcmjs reads the source because it
// decodes the text attributes by their Specific Character Set; what it returns is UTF-8, so the
// derived object declares ISO_IR 192 when any copied text is not plain ASCII. Dates and times in
// ACR-NEMA's retired dotted/colon forms are rewritten in DICOM's; a value dcmjs cannot encode
// (too long for its VR) is left empty rather than failing the whole object.
import dcmjs from "dcmjs";
import { IoError, readInputFile } from "../errors.js";
import { newUid } from "./uid.js";

/** A naturalized data set fragment (dcmjs keywords -> values). */
export type Attributes = Record<string, unknown>;

/** Copied when the source has them, else written empty. */
const TYPE2 = [
  "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
  "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
  "PositionReferenceIndicator",
] as const;
/** Copied when the source has them (Type 3: worth keeping, never required). */
const TYPE3 = ["IssuerOfPatientID", "StudyDescription", "PatientAge", "PatientSize", "PatientWeight"] as const;

/** What a caller knows without a source file (e.g. from a volume's metadata). */
export interface KnownIdentity {
  studyInstanceUID?: string;
  frameOfReferenceUID?: string;
  patientId?: string;
  patientName?: string;
}

/**
 * The Patient, General Study and Frame of Reference attributes for an object derived from
 * `sourceFile` (or, without one, from `known`), plus SpecificCharacterSet when it is needed.
 */
export function sharedModules(sourceFile: string | undefined, known: KnownIdentity = {}): Attributes {
  const source = sourceFile === undefined ? {} : readSourceAttributes(sourceFile);
  const out: Attributes = {};
  for (const k of TYPE2) out[k] = present(source[k]) ? encodable(k, legacyForm(k, source[k])) : "";
  for (const k of TYPE3) if (present(source[k]) && encodable(k, source[k]) !== "") out[k] = source[k];
  if (sourceFile === undefined) {
    out.PatientID = known.patientId ?? "";
    out.PatientName = known.patientName ?? "";
  }
  out.StudyInstanceUID = text(source.StudyInstanceUID) || known.studyInstanceUID || newUid();
  out.FrameOfReferenceUID = text(source.FrameOfReferenceUID) || known.frameOfReferenceUID || newUid();
  if (!isAscii(JSON.stringify(out))) out.SpecificCharacterSet = "ISO_IR 192";
  return out;
}

/** The source's top-level attributes up to its pixel data, naturalized by dcmjs. */
function readSourceAttributes(file: string): Attributes {
  const bytes = readInputFile(file);
  const validation = dcmjs.log.getLogger("validation.dcmjs");
  const level = validation.getLevel();
  validation.setLevel("silent"); // ambiguous VRs (xs) in old files: dcmjs's guess is fine for text
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const message = dcmjs.data.DicomMessage.readFile(buffer, { untilTag: "7FE00010", includeUntilTagValue: false });
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(message.dict);
  } catch (err) {
    throw new IoError(file, `cannot read the patient and study attributes to copy (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    validation.setLevel(level);
  }
}

/** "1997.04.24" -> "19970424", "14:04:38" -> "140438" (PS3.5 6.2: forms of ACR-NEMA 300, retired). */
function legacyForm(key: string, v: unknown): unknown {
  if (typeof v !== "string") return v;
  if (key.endsWith("Date") && /^\d{4}\.\d{2}\.\d{2}$/.test(v)) return v.replaceAll(".", "");
  if (key.endsWith("Time") && /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(v)) return v.replaceAll(":", "");
  return v;
}

/** `v` when dcmjs can encode it as attribute `key`, else "" (Type 2: present and empty). */
function encodable(key: string, v: unknown): unknown {
  try {
    const dict = new dcmjs.data.DicomDict({});
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({ [key]: v });
    dict.write();
    return v;
  } catch {
    return "";
  }
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function text(v: unknown): string {
  return typeof v === "string" ? v.replace(/\0/g, "").trim() : "";
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}
