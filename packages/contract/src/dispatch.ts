import { z } from 'zod';
import { TierSchema } from './tiers';

/** The task-queue function that runs an attempt. */
export const RUN_ATTEMPT_FUNCTION = 'runAttempt';

/** Payload of a `runAttempt` task. */
export const RunAttemptTaskSchema = z.object({
  jobId: z.string().min(1),
  attemptIndex: z.number().int().min(0),
});
export type RunAttemptTask = z.infer<typeof RunAttemptTaskSchema>;

/**
 * The task name for one hand-off of one attempt. Derived, so a retried enqueue is de-duplicated by
 * Cloud Tasks itself; `dispatchCount` makes a deliberate re-dispatch (a lost task) a new name.
 */
export function attemptTaskId(jobId: string, attemptIndex: number, dispatchCount: number): string {
  return `${jobId}-a${attemptIndex}-d${dispatchCount}`;
}

/** What the dispatcher POSTs to a worker's `/v1/attempts`. */
export const AttemptRequestSchema = z.object({
  jobId: z.string().min(1),
  attemptIndex: z.number().int().min(0),
  tier: TierSchema,
});
export type AttemptRequest = z.infer<typeof AttemptRequestSchema>;

/** A worker's answer to an attempt request. */
export const AttemptResponseSchema = z.object({
  status: z.enum(['accepted', 'already_claimed', 'stale']),
  workerId: z.string(),
  leaseExpiresAt: z.string().optional(),
});
export type AttemptResponse = z.infer<typeof AttemptResponseSchema>;
