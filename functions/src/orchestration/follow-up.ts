import { logger } from 'firebase-functions';
import type { NextStep } from '@vidgen/contract';
import { enqueueAttempt, type RepositoryResult } from '@vidgen/contract/admin';
import type { Services } from '../services';

/** Carries out what a written transition asks for next: today, handing a new attempt to the queue. */
export async function followUp(services: Services, jobId: string, result: RepositoryResult): Promise<void> {
  if (!result.ok) return;
  const next: NextStep = result.next;
  if (next.kind !== 'dispatch') return;
  const attempt = result.job.attempt;
  if (!attempt) return;
  await enqueueAttempt(services.taskQueues, { jobId, attemptIndex: next.attemptIndex, dispatchCount: attempt.dispatchCount });
  logger.info('Attempt dispatched', { jobId, attemptIndex: next.attemptIndex, tier: attempt.tier });
}
