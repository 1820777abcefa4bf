import { z } from 'zod';
import { JobErrorSchema } from './errors';
import { ProgressSchema } from './progress';
import { CreateVideoJobRequestSchema } from './request';
import { DEFAULT_RETENTION_DAYS, RetentionDaysSchema } from './retention';
import { BackendSchema, TierSchema } from './tiers';

export const SCHEMA_VERSION = 1;

export const JobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobStateSchema>;
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

/**
 * One paid step of a chained provider run (a Veo generation or extension), recorded on the attempt
 * before the next starts, so a resumed attempt continues after it and never pays for it again.
 */
export const SegmentSchema = z.object({
  operation: z.string().describe('The provider operation that made it.'),
  videoUri: z.string().describe("The provider's stored video after this segment: the whole clip so far."),
  seconds: z.number().positive().describe('Length of the clip after this segment.'),
  costUsd: z.number().min(0).describe('What this segment cost.'),
  completedAt: z.date().describe('When it was recorded; the provider keeps its video only so long.'),
});
export type Segment = z.infer<typeof SegmentSchema>;

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
  segments: z.array(SegmentSchema).optional().describe('Paid steps of a chained run (Veo segments), in order.'),
  resumes: z.number().int().min(0).optional().describe('Hand-offs to a next invocation and resumes after a lost one.'),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  costUsd: z
    .number()
    .min(0)
    .default(0)
    .describe('What the attempt\'s finished paid steps cost so far (Veo segments), recorded before the next one starts.'),
  usdPerHour: z
    .number()
    .min(0)
    .nullable()
    .default(null)
    .describe('The runner\'s price for the time it holds the attempt (a GPU worker\'s: its fleet pod\'s rate, or its GPU_COST_PER_HOUR), recorded at the claim; null for providers that bill per use.'),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const AttemptOutcomeSchema = z.enum(['succeeded', 'failed', 'cancelled']);
export type AttemptOutcome = z.infer<typeof AttemptOutcomeSchema>;

/**
 * A finished attempt, kept on the job so an operator sees the whole story. A Replicate prediction
 * its runner started but could not save on its attempt (a cancel or a lost lease came first) is a
 * `cancelled` record of its own with the attempt's index, so that its cost is counted.
 */
export const AttemptRecordSchema = z.object({
  index: z.number().int().min(0),
  tier: TierSchema,
  backend: BackendSchema,
  workerId: z.string().nullable(),
  startedAt: z.date().nullable(),
  endedAt: z.date(),
  outcome: AttemptOutcomeSchema,
  error: JobErrorSchema.nullable(),
  costUsd: z.number().min(0).describe('What the attempt cost, whatever its outcome.'),
  providerJobId: z.string().nullable().default(null).describe('The provider\'s id for the work (Veo operation, Replicate prediction, ComfyUI prompt), to find it later.'),
  costKnown: z
    .boolean()
    .default(true)
    .describe('false while the provider\'s own figure is still to be read (a Replicate prediction cancelled or abandoned): the watchdog reads it and adds it.'),
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
  expiresAt: z
    .date()
    .nullable()
    .default(null)
    .describe('From this time on the video and poster may have been removed (the bucket\'s lifecycle rule): the URLs then lead nowhere.'),
});
export type Output = z.infer<typeof OutputSchema>;
/** An output as the runner stores it; the job's end adds when it expires. */
export type PublishedOutput = Omit<Output, 'expiresAt'>;

/** Where a job's budget reservation lies, so that the write that ends the job releases exactly that. */
export const ReservationSchema = z.object({
  day: z.string().describe('UTC day (YYYY-MM-DD) of the owner\'s daily ledger: ledgers/user-{ownerUid}/days/{day}.'),
  month: z.string().describe('UTC month (YYYY-MM) of the project\'s ledger: ledgers/global-{month}/shards/{shard}.'),
  shards: z
    .array(z.object({ shard: z.number().int().min(0), microUsd: z.number().int().min(0) }))
    .describe('What was reserved in each shard of the monthly ledger, in micro-dollars; they add up to reservedUsd.'),
});
export type Reservation = z.infer<typeof ReservationSchema>;

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
  costUsd: z.number().min(0).describe('The sum of the attempts\' costs.'),
  costPending: z.boolean().default(false).describe('An attempt\'s cost is still to be read from its provider; costUsd grows when it is.'),
  retentionDays: RetentionDaysSchema.default(DEFAULT_RETENTION_DAYS).describe('How long this job\'s document and video are kept.'),
  expiresAt: z
    .date()
    .nullable()
    .default(null)
    .describe('Set when the job ends: after it, Firestore\'s TTL policy deletes this document. Null while the job runs.'),
  reservedUsd: z
    .number()
    .min(0)
    .optional()
    .describe('The worst case reserved against the budgets at creation (held until the job ends, then settled to costUsd).'),
  reservation: ReservationSchema.optional().describe('Where reservedUsd is held; absent on jobs made before budgets.'),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Job = z.infer<typeof JobSchema>;

/** An attempt as a claim leaves it: running under a lease. */
export type ClaimedAttempt = Attempt & { state: 'running'; leaseToken: string; leaseExpiresAt: Date };

/** A job whose current attempt a runner has claimed: what a claim hands the runner. */
export type ClaimedJob = Job & { attempt: ClaimedAttempt };

/** Whether the job's current attempt is claimed (running, with a lease). */
export function isClaimed(job: Job): job is ClaimedJob {
  const attempt = job.attempt;
  return attempt !== null && attempt.state === 'running' && attempt.leaseToken !== null && attempt.leaseExpiresAt !== null;
}

/** Firestore collection names, shared so that no two runtimes spell them differently. */
export const COLLECTIONS = {
  jobs: 'jobs',
  workers: 'workers',
  idempotencyKeys: 'idempotencyKeys',
  /** `quotas/{uid}`: how many of the user's jobs are queued or running, kept by the job writes themselves. */
  quotas: 'quotas',
  /**
   * Spend: `ledgers/user-{uid}` (the user's recent creations, for the rate), its `days/{YYYY-MM-DD}`
   * (reserved and spent that day) and `ledgers/global-{YYYY-MM}/shards/{i}` (the month, sharded).
   */
  ledgers: 'ledgers',
} as const;
