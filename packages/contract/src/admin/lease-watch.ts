import { isTerminal, type JobState } from '../job';
import type { JobRepository } from './job-repository';

/** Why a lease holder must stop: its job was cancelled, or the attempt is no longer its own. */
export type LeaseEnd = 'cancelled' | 'lease_lost';

/**
 * Listens to the job while a runner holds its lease and reports, at once, a cancel or a change of
 * hands (another token, a terminal state, the job gone). The lease keeper would notice too, but only
 * at its next renewal; the listener lets a cancel interrupt the GPU within a second.
 */
export function watchLease(
  jobs: JobRepository,
  jobId: string,
  leaseToken: string,
  onEnd: (end: LeaseEnd) => void,
  onError: (error: Error) => void = () => undefined,
): () => void {
  return jobs.ref(jobId).onSnapshot(
    (snapshot) => {
      const state = snapshot.get('state') as JobState | undefined;
      if (state === 'cancelled') onEnd('cancelled');
      else if (!snapshot.exists || (state && isTerminal(state)) || snapshot.get('attempt.leaseToken') !== leaseToken) onEnd('lease_lost');
    },
    onError,
  );
}
