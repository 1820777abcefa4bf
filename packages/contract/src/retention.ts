import { z } from 'zod';

/**
 * How long what the service stores is kept. Nothing here sweeps: Cloud Storage lifecycle rules
 * delete videos and uploads by age, and Firestore TTL policies delete documents once their
 * `expiresAt` has passed (usually within a day of it). `npm run retention -- apply` writes both;
 * `npm run doctor` checks them. The README's Retention section is the one place that explains them.
 */

const DAYS_MS = 86_400_000;

const days = (what: string) =>
  z
    .number({ error: 'must be a number of days' })
    .int({ error: 'must be a whole number of days' })
    .min(1, { error: 'must be at least 1 day' })
    .max(3650, { error: 'must be at most 3650 days' })
    .describe(what);

/** What a job keeps, fixed when it is created from the deployment's parameters, so every runtime ends it the same way. */
export const RetentionDaysSchema = z.object({
  job: days('Days the job document is kept after the job ended (Firestore TTL on `expiresAt`).'),
  video: days('Days the video and its poster are kept after they were stored (Cloud Storage lifecycle on `videos/`).'),
});
export type RetentionDays = z.infer<typeof RetentionDaysSchema>;

/** The defaults of `JOB_RETENTION_DAYS` and `VIDEO_RETENTION_DAYS`. */
export const DEFAULT_RETENTION_DAYS: RetentionDays = { job: 90, video: 30 };

/** Days a reference upload may stay at most (lifecycle on `uploads/`); ended jobs remove theirs at once. */
export const DEFAULT_UPLOAD_RETENTION_DAYS = 3;

/** Days an idempotency record is kept after the call that made it: long enough for any client retry. */
export const IDEMPOTENCY_RETENTION_DAYS = 7;

/**
 * Days a spend ledger (a user's day, a shard of the month) is kept after its period ended: every job
 * reserved in it has settled long before, and the month stays readable through the next one. The
 * per-user rate window is kept {@link RATE_WINDOW_RETENTION_DAYS} after the user's last creation.
 */
export const LEDGER_RETENTION_DAYS = 35;
export const RATE_WINDOW_RETENTION_DAYS = 1;

/** The Storage prefixes whose objects a lifecycle rule deletes by age. */
export const STORAGE_PREFIXES = { videos: 'videos/', uploads: 'uploads/' } as const;

/** The field every expiring document carries, and the collection groups whose TTL policy uses it. */
export const TTL_FIELD = 'expiresAt';
/** `ledgers` holds the rate windows (`ledgers/user-{uid}`), `days` and `shards` the ledgers under them. */
export const TTL_COLLECTION_GROUPS = ['jobs', 'idempotencyKeys', 'ledgers', 'days', 'shards'] as const;

/** `days` after `from`. */
export function daysAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAYS_MS);
}

/**
 * Whether the job's video may be gone: its lifecycle period has passed. The document keeps
 * `output` (sizes, duration, when it expired) but its URLs lead nowhere after this.
 */
export function isOutputExpired(output: { expiresAt: Date | null } | null, now: Date = new Date()): boolean {
  return output?.expiresAt != null && output.expiresAt.getTime() <= now.getTime();
}
