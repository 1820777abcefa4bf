import { logger } from 'firebase-functions';
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import { cancelJob, CancelVideoJobRequestSchema, type JobState } from '@vidgen/contract';
import { followUp } from '@vidgen/runner';
import { cloudLog } from '../cloud-log';
import { followUpServices, type Services } from '../services';
import { callableSettings, parseInput, requireUser } from './callable-errors';

/**
 * Cancels the caller's job. A queued job ends at once; a running worker sees the job turn
 * `cancelled` through its listener, interrupts ComfyUI, and its fenced writes are refused from then on.
 */
export async function cancelVideoJob(request: CallableRequest<unknown>, services: Services): Promise<{ state: JobState }> {
  const uid = requireUser(request, callableSettings('cancelVideoJob'));
  const { jobId } = parseInput(CancelVideoJobRequestSchema, request.data);
  const job = await services.jobs.get(jobId);
  if (!job) throw new HttpsError('not-found', `No job ${jobId}.`);
  if (job.ownerUid !== uid) throw new HttpsError('permission-denied', 'You can only cancel your own jobs.');

  const result = await services.jobs.transition(jobId, (current, now) => cancelJob(current, { now }));
  if (result.ok) {
    logger.info('Job cancelled', { jobId, uid });
    await followUp(followUpServices(services, cloudLog({ jobId })), jobId, result);
    return { state: result.job.state };
  }
  const latest = await services.jobs.get(jobId);
  return { state: latest?.state ?? job.state };
}
