import { randomUUID } from 'node:crypto';
import { claimAttempt, isClaimed, type Backend, type ClaimedJob } from '@vidgen/contract';
import type { JobRepository, RepositoryResult } from '@vidgen/contract/admin';

/** A claim that took the lease: the job as it wrote it, and the fencing token every later write carries. */
export type Claim = { ok: true; job: ClaimedJob; leaseToken: string } | Extract<RepositoryResult, { ok: false }>;

export interface ClaimRequest {
  attemptIndex: number;
  backend: Backend;
  /** Who runs it (a worker's id, `functions:gemini`); the lease token starts with it. */
  runnerId: string;
  leaseMs: number;
  /** The runner's price for the time it holds the attempt (GPU workers); absent for per-use providers. */
  usdPerHour?: number;
  /** An id for the provider's work to save in the same write, kept only when the attempt has none yet. */
  providerJobId?: string;
}

/**
 * Takes the lease on a job's current attempt under a fresh fencing token, in one conditional write:
 * refused while another runner's lease is live or when the attempt is no longer current, so a
 * duplicate offer or task delivery runs nothing twice.
 */
export async function claimLease(jobs: JobRepository, jobId: string, request: ClaimRequest): Promise<Claim> {
  const leaseToken = `${request.runnerId}:${randomUUID()}`;
  const { runnerId, ...rest } = request;
  const result = await jobs.transition(jobId, (job, now) => claimAttempt(job, { ...rest, workerId: runnerId, leaseToken, now }));
  if (!result.ok) return result;
  if (!isClaimed(result.job)) throw new Error(`The claim of job ${jobId} left its attempt without a lease`);
  return { ok: true, job: result.job, leaseToken };
}
