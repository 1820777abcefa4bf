import { logger } from 'firebase-functions';
import {
  COLLECTIONS,
  failPendingAttempt,
  JobError,
  markDispatched,
  ownRedispatches,
  resumeOrExpireLease,
} from '@vidgen/contract';
import { EnqueueFailed, InvalidJobDocument } from '@vidgen/contract/admin';
import { followUp } from '@vidgen/runner';
import type { ReplicateProvider } from '../providers/replicate';
import { cloudLog } from '../cloud-log';
import { followUpServices, type Services } from '../services';
import { settleJobCosts } from './pending-costs';

/** A pending attempt is re-dispatched this many times before the watchdog fails it over. */
const MAX_REDISPATCHES = 2;
const BATCH = 100;
/** Jobs whose cost is read from a provider per sweep: each may wait on Replicate for a few seconds. */
const COST_BATCH = 10;

/** Stable field a log-based metric counts: one entry per job a sweep could not handle (README, "Log-based metrics"). */
export const SWEEP_FAILURE_METRIC = 'watchdog_job_failed';

export interface SweepReport {
  leasesExpired: number;
  redispatched: number;
  failedOver: number;
  /** Ended attempts whose cost was read from their provider (Replicate's predict_time) and added to their job. */
  costsSettled: number;
  /** Jobs this sweep could not handle (a document that does not parse, a failed enqueue, ...); each is logged with its id. */
  failures: number;
}

/** Why a job could not be handled, the metric's `reason` label. */
export type SweepFailureReason = 'unreadable_job' | 'enqueue_failed' | 'error';

function sweepFailureReason(error: unknown): SweepFailureReason {
  if (error instanceof InvalidJobDocument) return 'unreadable_job';
  if (error instanceof EnqueueFailed) return 'enqueue_failed';
  return 'error';
}

/**
 * Runs one job's part of a sweep; a failure is logged with the job id and counted, and the sweep goes
 * on with the rest, so that one bad document (schema drift between a new function and an old worker
 * image) or one failed enqueue never blinds the watchdog to every other job.
 */
async function guarded(jobId: string, report: SweepReport, handle: () => Promise<void>): Promise<void> {
  try {
    await handle();
  } catch (error) {
    report.failures += 1;
    const reason = sweepFailureReason(error);
    const fix = error instanceof EnqueueFailed ? ` ${error.description.fix}` : '';
    logger.error(`Watchdog could not handle job ${jobId} (${reason}); it goes on with the others.${fix}`, {
      metric: SWEEP_FAILURE_METRIC,
      reason,
      jobId,
      error: (error as Error).message,
    });
  }
}

export interface SweepOptions {
  pendingStaleMs: number;
  /** Reads and stops abandoned predictions; null when no Replicate token is configured. */
  replicate?: ReplicateProvider | null;
}

/**
 * Makes sure every job ends, and every attempt's cost is counted. Attempts whose worker stopped
 * renewing its lease are handed back (retried or failed over by the shared transitions; a Veo chain
 * with paid segments is resumed, not restarted), costed by what they held; pending attempts whose
 * task chain was lost (their last hand-off is older than `pendingStaleMs`) are dispatched again,
 * then failed over; predictions left running by a cancel or a dead runner are cancelled and their
 * charge added to their job.
 */
export async function sweep(services: Services, options: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { leasesExpired: 0, redispatched: 0, failedOver: 0, costsSettled: 0, failures: 0 };
  const jobs = services.db.collection(COLLECTIONS.jobs);
  const now = new Date();

  const expired = await jobs
    .where('attempt.state', '==', 'running')
    .where('attempt.leaseExpiresAt', '<', now)
    .limit(BATCH)
    .get();
  for (const doc of expired.docs) {
    await guarded(doc.id, report, async () => {
      const attemptIndex = doc.get('attempt.index') as number;
      const result = await services.jobs.transition(doc.id, (job, at) => resumeOrExpireLease(job, { attemptIndex, now: at }));
      if (result.ok) {
        report.leasesExpired += 1;
        logger.warn('Lease expired; attempt handed back', { jobId: doc.id, attemptIndex });
      }
      await followUp(followUpServices(services, cloudLog({ jobId: doc.id })), doc.id, result);
    });
  }

  const stale = await jobs
    .where('attempt.state', '==', 'pending')
    .where('updatedAt', '<', new Date(now.getTime() - options.pendingStaleMs))
    .limit(BATCH)
    .get();
  for (const doc of stale.docs) {
    await guarded(doc.id, report, async () => {
      const attemptIndex = doc.get('attempt.index') as number;
      const dispatchCount = doc.get('attempt.dispatchCount') as number;
      const resumes = (doc.get('attempt.resumes') as number | undefined) ?? 0;
      if (ownRedispatches({ dispatchCount, resumes }) < MAX_REDISPATCHES) {
        // Counted first: the new count names a new task, so the hand-off is never de-duplicated away.
        const result = await services.jobs.transition(doc.id, (job, at) => markDispatched(job, { attemptIndex, now: at }));
        await followUp(followUpServices(services, cloudLog({ jobId: doc.id })), doc.id, result.ok ? { ...result, next: { kind: 'dispatch', attemptIndex } } : result);
        if (result.ok) report.redispatched += 1;
      } else {
        const error = new JobError('no_worker_available', 'The attempt was dispatched repeatedly and no backend took it.');
        const result = await services.jobs.transition(doc.id, (job, at) =>
          failPendingAttempt(job, { attemptIndex, error: error.toData(), now: at }),
        );
        if (result.ok) report.failedOver += 1;
        await followUp(followUpServices(services, cloudLog({ jobId: doc.id })), doc.id, result);
      }
    });
  }

  // After the expiries above, so that a prediction whose runner just died stops billing in this sweep.
  const costPending = await jobs.where('costPending', '==', true).limit(COST_BATCH).get();
  for (const doc of costPending.docs) {
    await guarded(doc.id, report, async () => {
      report.costsSettled += (await settleJobCosts(services, doc.id, doc.data(), options.replicate ?? null, now)).settled;
    });
  }
  if (report.leasesExpired + report.redispatched + report.failedOver + report.costsSettled + report.failures > 0) logger.info('Watchdog sweep', { ...report });
  return report;
}
