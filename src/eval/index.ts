// src/eval/index.ts — the public face of the metrics for other layers (`evaluate`, reports).
export { ConfusionMatrix, summaryScores, type SummaryScores } from "./confusion.js";
export { structureScores, type StructureScores } from "./surface.js";
export { ScoreAccumulator, scoreCases, caseMeanDice, subjectFromId, ACDC_CLASSES, type ScoreReport, type ScoreCaseInput, type CaseScores, type Phase } from "./score.js";
export { formatScoreReport, FREQW_LABEL } from "./format.js";
export { scoreFolders, ScoreInputError } from "./score-folders.js";
export { readLabelVolume } from "./load.js";
export { matchCases, phaseOf, readInfoCfg } from "./files.js";
