// checkpoint-schema.ts — what a checkpoint sidecar (checkpoint.ts) must hold, as a schema, so that
// a damaged or foreign sidecar is refused naming the field instead of failing somewhere in resume.
// File names must be plain names in the sidecar's own folder (no path can point elsewhere).
import { z } from "zod";

const fileName = z.string().regex(/^[^/\\]+$/, "must be a file name in the sidecar's folder").refine((n) => n !== "." && n !== "..", "must be a file name");
const digest = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex");

export const sidecarSchema = z.object({
  format: z.literal("cardioseg-checkpoint-1"),
  iter: z.number().int().nonnegative(),
  weights: fileName,
  optimizerFile: fileName.nullable(),
  optimizer: z.object({
    type: z.string(),
    paramGroups: z.array(z.object({ params: z.array(z.number().int().nonnegative()) }).passthrough()),
    steps: z.record(z.string(), z.number()),
  }).nullable(),
  rng: z.string().nullable(),
  loader: z.unknown(),
  best: z.object({ iter: z.number().int().nonnegative(), meanDice: z.number() }).nullable(),
  elapsedS: z.number().nonnegative(),
  finished: z.boolean().optional(),
  worldSize: z.number().int().positive().optional(),
  rankRngs: z.array(z.string()).optional(),
  config: z.object({ model: z.record(z.string(), z.unknown()) }).passthrough(),
  checksums: z.object({ weights: digest, optimizer: digest.nullable() }).optional(),
}).passthrough(); // fields added later (by other features) are kept, not stripped
