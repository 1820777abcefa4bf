import { randomUUID } from 'node:crypto';
import { claimAttempt, type AttemptRequest } from '@vidgen/contract';
import type { JobRepository, RepositoryResult } from '@vidgen/contract/admin';

/**
 * Takes the lease on an attempt under a fresh fencing token, saving in the same write the id the
 * ComfyUI prompt will have (so it is on the attempt before the prompt is queued, at no extra write)
 * and the GPU's hourly price (so that a cancel or the watchdog can cost the time the attempt held it).
 * `promptId` is that id when the claim saved it; null when the attempt already had one from an
 * earlier runner, which the run then tries to re-attach to.
 */
export async function claim(
  jobs: JobRepository,
  request: AttemptRequest,
  worker: { workerId: string; leaseMs: number; usdPerHour: number },
): Promise<{ result: RepositoryResult; leaseToken: string; promptId: string | null }> {
  const leaseToken = `${worker.workerId}:${randomUUID()}`;
  const proposed = randomUUID();
  const result = await jobs.transition(request.jobId, (job, now) =>
    claimAttempt(job, { attemptIndex: request.attemptIndex, backend: 'comfyui', workerId: worker.workerId, leaseToken, leaseMs: worker.leaseMs, usdPerHour: worker.usdPerHour, now, providerJobId: proposed }),
  );
  const promptId = result.ok && result.job.attempt?.providerJobId === proposed ? proposed : null;
  return { result, leaseToken, promptId };
}
