// index.ts — finding out which layout a folder uses and listing its cases.
import { IoError } from "../errors.js";
import { assertSameGeometry, type ImageVolume, type LabelVolume } from "../image.js";
import { outOfClassProblem } from "../volumes.js";
import { isAcdcRoot, loadAcdc } from "./acdc.js";
import { isGenericRoot, loadGeneric } from "./generic.js";
import { isSunnybrookRoot, loadSunnybrook } from "./sunnybrook.js";
import { ACDC_LABEL_NAMES, isDir, type Dataset, type DatasetCase, type DatasetKind } from "./types.js";

export type { Dataset, DatasetCase, DatasetKind, DatasetProblem } from "./types.js";
export { ACDC_LABEL_NAMES } from "./types.js";
export { parseAcdcInfo, loadAcdc, type AcdcInfo } from "./acdc.js";
export { loadSunnybrook, parseLinkCsv } from "./sunnybrook.js";
export { loadGeneric } from "./generic.js";

/** The layout of `root`, or undefined when none is recognised. */
export function detectDataset(root: string): DatasetKind | undefined {
  if (!isDir(root)) return undefined;
  if (isSunnybrookRoot(root)) return "sunnybrook";
  if (isAcdcRoot(root)) return "acdc";
  if (isGenericRoot(root)) return "generic";
  return undefined;
}

export function loadDataset(root: string, kind: DatasetKind | undefined = detectDataset(root)): Dataset {
  if (kind === "sunnybrook") return loadSunnybrook(root);
  if (kind === "acdc") return loadAcdc(root);
  if (kind === "generic") return loadGeneric(root);
  throw new IoError(root, "not a recognised data set (expected an ACDC root, a Sunnybrook root with link.csv, or a folder of image/label files)");
}

/** Patient → group (ACDC Info.cfg "Group": NOR, MINF, DCM, HCM, RV) for the cases that name one. */
export function patientGroups(ds: Dataset): Map<string, string> {
  const groups = new Map<string, string>();
  for (const c of ds.cases) {
    const g = c.info.group;
    if (typeof g === "string" && g.trim() !== "") groups.set(c.patient, g.trim());
  }
  return groups;
}

/**
 * Image and labels of a case, checked to share geometry and to hold only values of `classes`
 * (ACDC's four by default): a label 7 is refused, naming the label file and the values. UNANNOTATED (255)
 * passes: it marks voxels the expert did not annotate (README, "Partially annotated labels").
 */
export function loadCase(c: DatasetCase, classes: readonly string[] = ACDC_LABEL_NAMES): { image: ImageVolume; labels: LabelVolume | undefined } {
  const image = c.loadImage();
  const labels = c.loadLabels();
  if (labels) {
    const labelFile = c.labelPaths.join(" + ") || c.imagePath;
    const problem = outOfClassProblem(labels.data, classes);
    if (problem) throw new IoError(labelFile, problem);
    try {
      assertSameGeometry(image, labels, `${c.id}: image and labels`);
    } catch (err) {
      throw new IoError(labelFile, err instanceof Error ? err.message : String(err));
    }
  }
  return { image, labels };
}
