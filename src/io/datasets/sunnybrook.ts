// sunnybrook.ts — the Sunnybrook Cardiac Data layout: dicoms/<patient>/<N>.dcm, expert contours in
// contourfiles/<original id>/{i,o}-contours/IM-0001-NNNN-{i,o}contour-manual.txt (NNNN = N), and
// link.csv mapping patient ids to original ids. One case per contoured image; labels are drawn
// from the contours in ACDC numbering (3 LV cavity, 2 myocardium, 0 background; 255 = not annotated
// outside the cavity where the image has no o-contour: see labelsFromContours). No RV is drawn.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { IoError, readInputText } from "../errors.js";
import { readDicomFile } from "../dicom/index.js";
import { labelsFromContourFiles } from "../contours.js";
import { labelLike } from "../image.js";
import { isDir, problemOf, type Dataset, type DatasetCase, type DatasetProblem } from "./types.js";
import { pushAll } from "../../util/array.js";

const CONTOUR_FILE = /^IM-(\d+)-(\d+)-([io])contour-manual\.txt$/;
/** Sunnybrook draws the LV endocardium and epicardium only: no RV. */
export const SUNNYBROOK_STRUCTURES: readonly string[] = ["MYO", "LV"];

export interface SunnybrookLink {
  patient: string;
  original: string;
}

export function isSunnybrookRoot(root: string): boolean {
  return existsSync(join(root, "link.csv")) && isDir(join(root, "dicoms")) && isDir(join(root, "contourfiles"));
}

/** link.csv: a header line, then "patient_id,original_id" rows. */
export function parseLinkCsv(text: string, file: string): SunnybrookLink[] {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  const header = (rows.shift() ?? "").toLowerCase().split(",").map((h) => h.trim().replace(/^"|"$/g, ""));
  const pi = header.indexOf("patient_id"), oi = header.indexOf("original_id");
  if (pi < 0 || oi < 0) throw new IoError(file, `expected columns patient_id and original_id, found ${JSON.stringify(header)}`);
  return rows.map((row, i) => {
    const cells = row.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
    const patient = cells[pi], original = cells[oi];
    if (!patient || !original || /[/\\]|\.\./.test(patient + original)) throw new IoError(file, `row ${i + 2}: bad ids ${JSON.stringify(row)}`);
    return { patient, original };
  });
}

export function loadSunnybrook(root: string): Dataset {
  const cases: DatasetCase[] = [];
  const problems: DatasetProblem[] = [];
  const linkFile = join(root, "link.csv");
  let links: SunnybrookLink[] = [];
  try {
    links = parseLinkCsv(readInputText(linkFile, 16 << 20), linkFile);
  } catch (err) {
    problems.push(problemOf(linkFile, err));
  }
  for (const link of links) pushAll(cases, patientCases(root, link, problems));
  return { kind: "sunnybrook", root, cases, problems, structures: SUNNYBROOK_STRUCTURES };
}

/** Contour files of one original id, grouped by image number N. */
function contourFiles(dir: string, problems: DatasetProblem[]): Map<number, { inner?: string; outer?: string }> {
  const byImage = new Map<number, { inner?: string; outer?: string }>();
  for (const kind of ["i", "o"] as const) {
    const sub = join(dir, `${kind}-contours`);
    if (!isDir(sub)) continue;
    for (const name of readdirSync(sub).sort()) {
      const m = CONTOUR_FILE.exec(name);
      if (!m || m[3] !== kind) {
        if (name.endsWith(".txt")) problems.push({ file: join(sub, name), message: `${join(sub, name)}: not a ${kind}-contour file name` });
        continue;
      }
      const n = Number(m[2]);
      const entry = byImage.get(n) ?? {};
      entry[kind === "i" ? "inner" : "outer"] = join(sub, name);
      byImage.set(n, entry);
    }
  }
  return byImage;
}

function patientCases(root: string, link: SunnybrookLink, problems: DatasetProblem[]): DatasetCase[] {
  const contourDir = join(root, "contourfiles", link.original);
  if (!isDir(contourDir)) {
    problems.push({ file: contourDir, message: `${contourDir}: contour folder for ${link.patient} is missing` });
    return [];
  }
  const out: DatasetCase[] = [];
  for (const [n, files] of [...contourFiles(contourDir, problems)].sort((a, b) => a[0] - b[0])) {
    const imagePath = join(root, "dicoms", link.patient, `${n}.dcm`);
    if (!existsSync(imagePath)) {
      problems.push({ file: imagePath, message: `${imagePath}: DICOM for contoured image ${n} is missing` });
      continue;
    }
    out.push(sunnybrookCase(link, n, imagePath, files));
  }
  return out;
}

function sunnybrookCase(link: SunnybrookLink, n: number, imagePath: string, files: { inner?: string; outer?: string }): DatasetCase {
  const loadImage = () => readDicomFile(imagePath);
  return {
    id: `${link.patient}_${n}`,
    patient: link.patient,
    phase: String(n),
    imagePath,
    labelPaths: [files.inner, files.outer].filter((f): f is string => f !== undefined),
    info: { imageNumber: n, originalId: link.original, innerContour: files.inner ? 1 : 0, outerContour: files.outer ? 1 : 0 },
    loadImage,
    loadLabels: () => {
      const image = loadImage();
      const [cols, rows, nz = 1] = image.dims;
      if (nz !== 1) throw new IoError(imagePath, `contours need a single-slice image, got ${image.dims.join("x")}`);
      return labelLike(image, labelsFromContourFiles(cols, rows, files.inner, files.outer));
    },
  };
}
