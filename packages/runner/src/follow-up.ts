import type { Functions } from 'firebase-admin/functions';
import { isTerminal } from '@vidgen/contract';
import { dispatchNext, type JobRepository, type RepositoryResult } from '@vidgen/contract/admin';
import { losingOutputPaths, removeLosingOutputs, type ObjectStore } from '@vidgen/media';
import { releaseReferenceImage } from './reference-image';
import type { RunLog } from './run-log';

export interface FollowUpServices {
  jobs: JobRepository;
  taskQueues: Functions;
  /** The output store, asked for only when there is something to remove (the functions make theirs on first use). */
  store(): Promise<ObjectStore>;
  /** The functions' region, for a runtime outside them (a GPU worker). */
  functionLocation?: string;
  log: RunLog;
}

/**
 * Carries out what a written transition asks for next, whoever wrote it (a runner's finish, a
 * cancel, the watchdog, a failed placement): hands the new attempt, if any, to the task queue (a
 * failed hand-off throws `EnqueueFailed`; the attempt stays pending for the watchdog), and once the
 * job has ended removes what its losing attempts left in storage and its reference upload. Resolves
 * with the index of the attempt handed on, or null.
 */
export async function followUp(services: FollowUpServices, jobId: string, result: RepositoryResult): Promise<number | null> {
  if (!result.ok) return null;
  const { log } = services;
  const dispatched = await dispatchNext(services.taskQueues, jobId, result, services.functionLocation ? { functionLocation: services.functionLocation } : {});
  if (dispatched !== null) log.info('Attempt dispatched', { attemptIndex: dispatched, tier: result.job.attempt?.tier });
  if (!isTerminal(result.job.state)) return dispatched;
  if (losingOutputPaths(result.job, jobId).length > 0) {
    try {
      await removeLosingOutputs(await services.store(), result.job, jobId);
    } catch (error) {
      log.warn('Could not remove the outputs of attempts that lost', { err: (error as Error).message });
    }
  }
  if (result.job.request.referenceImagePath) {
    try {
      await releaseReferenceImage(services.jobs, await services.store(), result.job, jobId);
    } catch (error) {
      log.warn('Could not remove the job\'s reference image; the bucket\'s lifecycle rule will', { err: (error as Error).message });
    }
  }
  return dispatched;
}
