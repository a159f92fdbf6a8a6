// src/serve/dataset.ts — the cases of the --data folder (ACDC, Sunnybrook or generic layout) as
// the page lists them (patient, phase, whether labels exist) and opening some of them as one
// study. Requests name cases by their index in this list, never by a path, so nothing a request
// says can reach outside the folder.
import { loadCase, loadDataset, type Dataset } from "../io/datasets/index.js";
import type { StudyContent } from "./studies.js";

export interface DataCaseInfo {
  index: number;
  patient: string;
  phase: string;
  labelled: boolean;
}

export interface DataListing {
  kind: string;
  cases: DataCaseInfo[];
  /** Files the layout reader skipped, by count (their names stay out of the page). */
  problems: number;
}

export class DataFolder {
  private dataset: Dataset | undefined;

  constructor(readonly root: string) {}

  private load(): Dataset {
    this.dataset ??= loadDataset(this.root);
    return this.dataset;
  }

  listing(): DataListing {
    const d = this.load();
    return {
      kind: d.kind, problems: d.problems.length,
      cases: d.cases.map((c, index) => ({ index, patient: c.patient, phase: c.phase, labelled: c.labelPaths.length > 0 })),
    };
  }

  /** The chosen cases (indices into the listing) as one study, frames in the order given. */
  open(indices: readonly number[]): StudyContent {
    const d = this.load();
    if (indices.length === 0) throw new Error("choose at least one case");
    const cases = indices.map((i) => {
      const c = Number.isInteger(i) ? d.cases[i] : undefined;
      if (!c) throw new Error(`no case number ${i} in the data folder`);
      return c;
    });
    // loadCase checks each label map against its image's geometry and the class list, naming the file.
    const loaded = cases.map((c) => loadCase(c));
    const frames = loaded.map((l) => l.image);
    const truth = loaded.map((l) => l.labels);
    const ed = cases.findIndex((c) => c.phase === "ED"), es = cases.findIndex((c) => c.phase === "ES");
    const patients = [...new Set(cases.map((c) => c.patient))];
    return {
      name: patients.join(", "), source: "dataset", frames, truth, warnings: [],
      frameNames: cases.map((c) => (patients.length > 1 ? `${c.patient} ${c.phase}` : c.phase)),
      edEs: ed >= 0 && es >= 0 && patients.length === 1 ? { ed, es, from: "data set" } : undefined,
    };
  }
}
