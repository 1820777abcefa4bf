import { randomUUID } from 'node:crypto';
import type { AttemptRequest } from '@vidgen/contract';
import type { JobRepository } from '@vidgen/contract/admin';
import { claimLease, type Claim } from '@vidgen/runner';

/**
 * Takes the lease on an attempt (see {@link claimLease}), saving in the same write the id the
 * ComfyUI prompt will have (so it is on the attempt before the prompt is queued, at no extra write)
 * and the GPU's hourly price (so that a cancel or the watchdog can cost the time the attempt held it).
 * `promptId` is that id when the claim saved it; null when the attempt already had one from an
 * earlier runner, which the run then tries to re-attach to.
 */
export async function claimForGpu(
  jobs: JobRepository,
  request: AttemptRequest,
  worker: { workerId: string; leaseMs: number; usdPerHour: number },
): Promise<Claim & { promptId: string | null }> {
  const proposed = randomUUID();
  const claimed = await claimLease(jobs, request.jobId, {
    attemptIndex: request.attemptIndex,
    backend: 'comfyui',
    runnerId: worker.workerId,
    leaseMs: worker.leaseMs,
    usdPerHour: worker.usdPerHour,
    providerJobId: proposed,
  });
  const promptId = claimed.ok && claimed.job.attempt.providerJobId === proposed ? proposed : null;
  return { ...claimed, promptId };
}
