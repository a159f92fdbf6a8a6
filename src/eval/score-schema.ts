// src/eval/score-schema.ts — the score JSON (documented in score.ts) as a schema, for reading a
// scores.json back (`cardioseg report`): a file that does not hold it is refused naming the field.
import { z } from "zod";
import type { ScoreReport } from "./score.js";

const num = z.number().nullable();
const byStructure = z.record(z.string(), num);

const caseScores = z.object({
  id: z.string(),
  phase: z.enum(["ED", "ES"]).nullable(),
  subject: z.string(),
  dice: byStructure,
  hd95_mm: byStructure,
  assd_mm: byStructure,
  volume_ml: byStructure,
  volume_ml_gt: byStructure,
  unannotated: z.array(z.string()).optional(),
});

const structureSummary = z.object({
  n: z.number(),
  dice_mean: num,
  dice_sd: num,
  hd95_mm_mean: num,
  assd_mm_mean: num,
  n_distance_undefined: z.number(),
  n_unannotated: z.number().default(0), // absent in score files written before partial labels
});

const clinical = z.object({
  subjects: z.array(z.object({ subject: z.string(), pred: z.record(z.string(), num), gt: z.record(z.string(), num) })),
  agreement: z.record(z.string(), z.record(z.string(), num)),
});

const scoreReportObject = z.object({
  classes: z.array(z.string()).min(2),
  overall_acc: num,
  mean_acc: num,
  freqw_iou: num,
  mean_iou: num,
  mean_dice: num,
  per_class: z.record(z.string(), z.object({ iou: num, dice: num, acc: num })),
  cases: z.array(caseScores),
  summary: z.record(z.string(), z.record(z.string(), structureSummary)),
  clinical: clinical.nullable(),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
});

export const scoreReportSchema: z.ZodType<ScoreReport> = scoreReportObject;
/** The same, keeping fields beyond the score JSON (evaluate's "evaluation"). */
export const scoreReportLooseSchema = scoreReportObject.loose();
