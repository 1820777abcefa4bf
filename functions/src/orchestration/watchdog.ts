import { logger } from 'firebase-functions';
import {
  COLLECTIONS,
  expireLease,
  failPendingAttempt,
  JobError,
  markDispatched,
} from '@vidgen/contract';
import type { Services } from '../services';
import { followUp } from './follow-up';

/** A pending attempt is re-dispatched this many times before the watchdog fails it over. */
const MAX_REDISPATCHES = 2;
const BATCH = 100;

export interface SweepReport {
  leasesExpired: number;
  redispatched: number;
  failedOver: number;
}

/**
 * Makes sure every job ends. Attempts whose worker stopped renewing its lease are handed back
 * (retried or failed over by the shared transitions); pending attempts whose task chain was lost
 * (their last hand-off is older than `pendingStaleMs`) are dispatched again, then failed over.
 */
export async function sweep(services: Services, options: { pendingStaleMs: number }): Promise<SweepReport> {
  const report: SweepReport = { leasesExpired: 0, redispatched: 0, failedOver: 0 };
  const jobs = services.db.collection(COLLECTIONS.jobs);
  const now = new Date();

  const expired = await jobs
    .where('attempt.state', '==', 'running')
    .where('attempt.leaseExpiresAt', '<', now)
    .limit(BATCH)
    .get();
  for (const doc of expired.docs) {
    const attemptIndex = doc.get('attempt.index') as number;
    const result = await services.jobs.transition(doc.id, (job, at) => expireLease(job, { attemptIndex, now: at }));
    if (result.ok) {
      report.leasesExpired += 1;
      logger.warn('Lease expired; attempt handed back', { jobId: doc.id, attemptIndex });
    }
    await followUp(services, doc.id, result);
  }

  const stale = await jobs
    .where('attempt.state', '==', 'pending')
    .where('updatedAt', '<', new Date(now.getTime() - options.pendingStaleMs))
    .limit(BATCH)
    .get();
  for (const doc of stale.docs) {
    const attemptIndex = doc.get('attempt.index') as number;
    const dispatchCount = doc.get('attempt.dispatchCount') as number;
    if (dispatchCount < MAX_REDISPATCHES) {
      const result = await services.jobs.transition(doc.id, (job, at) => markDispatched(job, { attemptIndex, now: at }));
      if (result.ok) report.redispatched += 1;
      await followUp(services, doc.id, result.ok ? { ...result, next: { kind: 'dispatch', attemptIndex } } : result);
    } else {
      const error = new JobError('no_worker_available', 'The attempt was dispatched repeatedly and no backend took it.');
      const result = await services.jobs.transition(doc.id, (job, at) =>
        failPendingAttempt(job, { attemptIndex, error: error.toData(), now: at }),
      );
      if (result.ok) report.failedOver += 1;
      await followUp(services, doc.id, result);
    }
  }
  if (report.leasesExpired + report.redispatched + report.failedOver > 0) logger.info('Watchdog sweep', { ...report });
  return report;
}
