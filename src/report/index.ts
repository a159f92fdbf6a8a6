// src/report/index.ts — the public face of the report layer (the run-folder layout is documented
// in run-folder.ts).
export { RUN_FILES, readRunFolder, parseTrainingLog, type RunFolder, type TrainingLog } from "./run-folder.js";
export { writeRunReport } from "./build.js";
export { buildReportHtml } from "./html.js";
export { writeCaseOverlays } from "./overlays.js";
export { trainingCurvesPng, chartPng } from "./plot.js";
