import { randomUUID } from 'node:crypto';
import { claimAttempt, type AttemptRequest } from '@vidgen/contract';
import type { JobRepository, RepositoryResult } from '@vidgen/contract/admin';

/** Takes the lease on an attempt in a transaction, under a fresh fencing token. */
export async function claim(
  jobs: JobRepository,
  request: AttemptRequest,
  worker: { workerId: string; leaseMs: number },
): Promise<{ result: RepositoryResult; leaseToken: string }> {
  const leaseToken = `${worker.workerId}:${randomUUID()}`;
  const result = await jobs.transition(request.jobId, (job, now) =>
    claimAttempt(job, { attemptIndex: request.attemptIndex, backend: 'comfyui', workerId: worker.workerId, leaseToken, leaseMs: worker.leaseMs, now }),
  );
  return { result, leaseToken };
}
