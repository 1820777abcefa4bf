import { z } from 'zod';
import { JobErrorSchema } from './errors';
import { ProgressSchema } from './progress';
import { CreateVideoJobRequestSchema } from './request';
import { BackendSchema, TierSchema } from './tiers';

export const SCHEMA_VERSION = 1;

export const JobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobStateSchema>;
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** The attempt in flight. `pending`: waiting for a backend to take it; `running`: leased to a runner. */
export const AttemptSchema = z.object({
  index: z.number().int().min(0).describe('0-based across the whole job.'),
  tier: TierSchema,
  backend: BackendSchema,
  state: z.enum(['pending', 'running']),
  workerId: z.string().nullable(),
  leaseToken: z.string().nullable().describe('Fencing token: writes by a runner holding another token are refused.'),
  leaseExpiresAt: z.date().nullable(),
  providerJobId: z.string().nullable().describe('ComfyUI prompt id, Veo operation or Replicate prediction, saved before waiting on it.'),
  dispatchCount: z.number().int().min(0).describe('How many times this attempt was handed to the task queue.'),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const AttemptOutcomeSchema = z.enum(['succeeded', 'failed', 'cancelled']);
export type AttemptOutcome = z.infer<typeof AttemptOutcomeSchema>;

/** A finished attempt, kept on the job so an operator sees the whole story. */
export const AttemptRecordSchema = z.object({
  index: z.number().int().min(0),
  tier: TierSchema,
  backend: BackendSchema,
  workerId: z.string().nullable(),
  startedAt: z.date().nullable(),
  endedAt: z.date(),
  outcome: AttemptOutcomeSchema,
  error: JobErrorSchema.nullable(),
  costUsd: z.number().min(0),
});
export type AttemptRecord = z.infer<typeof AttemptRecordSchema>;

export const OutputSchema = z.object({
  storagePath: z.string(),
  downloadUrl: z.string().describe('Where the client fetches the video.'),
  mimeType: z.literal('video/mp4'),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  frameCount: z.number().int().positive(),
  fps: z.number().positive(),
  durationSeconds: z.number().positive(),
  sizeBytes: z.number().int().positive(),
  posterPath: z.string(),
  posterUrl: z.string(),
});
export type Output = z.infer<typeof OutputSchema>;

export const JobSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  ownerUid: z.string(),
  state: JobStateSchema,
  request: CreateVideoJobRequestSchema,
  plan: z.array(TierSchema).min(1).describe('The tiers to try, in order, fixed at creation.'),
  attempt: AttemptSchema.nullable(),
  attempts: z.array(AttemptRecordSchema),
  progress: ProgressSchema,
  output: OutputSchema.nullable(),
  error: JobErrorSchema.nullable(),
  costUsd: z.number().min(0),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Job = z.infer<typeof JobSchema>;

/** Firestore collection names, shared so that no two runtimes spell them differently. */
export const COLLECTIONS = {
  jobs: 'jobs',
  workers: 'workers',
  idempotencyKeys: 'idempotencyKeys',
  /** `quotas/{uid}`: how many of the user's jobs are queued or running, kept by the job writes themselves. */
  quotas: 'quotas',
} as const;
