import { z } from 'zod';

export const StageSchema = z.enum([
  'queued', 'starting', 'loading_models', 'sampling', 'decoding', 'encoding', 'uploading', 'done',
]);
export type Stage = z.infer<typeof StageSchema>;

export const ProgressSchema = z.object({
  percent: z.number().min(0).max(100).describe('0-100; never moves backwards while one runner holds the attempt (a new runner starts over).'),
  stage: StageSchema,
  step: z.number().int().nullable().describe('Sampler step (or segment) within the stage.'),
  totalSteps: z.number().int().nullable(),
  etaSeconds: z.number().nullable().describe('Estimated seconds until the video is ready.'),
  updatedAt: z.date(),
});
export type Progress = z.infer<typeof ProgressSchema>;

/** A runner's report; the job's transition stamps it with the time it was written. */
export type ProgressUpdate = Omit<Progress, 'updatedAt'>;

/** Where each stage sits on the 0-100 bar; sampling dominates the wall time of a GPU tier. */
const STAGE_SPAN: Record<Stage, [number, number]> = {
  queued: [0, 0],
  starting: [0, 2],
  loading_models: [2, 8],
  sampling: [8, 85],
  decoding: [85, 90],
  encoding: [90, 95],
  uploading: [95, 99],
  done: [100, 100],
};

/** The bar position for a stage and, where known, the step within it. */
export function percentFor(stage: Stage, step?: number | null, totalSteps?: number | null): number {
  const [start, end] = STAGE_SPAN[stage];
  if (!step || !totalSteps) return start;
  const fraction = Math.min(1, Math.max(0, step / totalSteps));
  return Math.round((start + (end - start) * fraction) * 10) / 10;
}

export function initialProgress(now: Date): Progress {
  return { percent: 0, stage: 'queued', step: null, totalSteps: null, etaSeconds: null, updatedAt: now };
}
