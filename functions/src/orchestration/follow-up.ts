import { logger } from 'firebase-functions';
import { isTerminal } from '@vidgen/contract';
import { dispatchNext, type RepositoryResult } from '@vidgen/contract/admin';
import { losingOutputPaths, removeLosingOutputs } from '@vidgen/media';
import { releaseReferenceImage } from '@vidgen/runner';
import type { Services } from '../services';

/**
 * Carries out what a written transition asks for next: hands a new attempt to the queue, and once
 * the job has ended, removes what its losing attempts left in storage and its reference upload.
 */
export async function followUp(services: Services, jobId: string, result: RepositoryResult): Promise<void> {
  if (!result.ok) return;
  const dispatched = await dispatchNext(services.taskQueues, jobId, result);
  if (dispatched !== null) logger.info('Attempt dispatched', { jobId, attemptIndex: dispatched, tier: result.job.attempt?.tier });
  if (isTerminal(result.job.state) && losingOutputPaths(result.job, jobId).length > 0) {
    try {
      await removeLosingOutputs((await services.outputs()).store, result.job, jobId);
    } catch (error) {
      logger.warn('Could not remove the outputs of attempts that lost', { jobId, error: String(error) });
    }
  }
  if (isTerminal(result.job.state) && result.job.request.referenceImagePath) {
    try {
      await releaseReferenceImage(services.jobs, (await services.outputs()).store, result.job, jobId);
    } catch (error) {
      logger.warn('Could not remove the job\'s reference image; the bucket\'s lifecycle rule will', { jobId, error: String(error) });
    }
  }
}
