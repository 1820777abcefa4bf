import { FieldValue, type DocumentReference, type Firestore } from 'firebase-admin/firestore';
import { reviveDates } from '../firestore-data';
import { COLLECTIONS, isTerminal, JobSchema, type Job } from '../job';
import type { TransitionResult } from '../transitions';
import { parseOrThrow } from '../validation';

export type RepositoryResult = TransitionResult | { ok: false; refusal: 'not_found' };

/** Parses a job document as read from Firestore (Timestamps become Dates). */
export function parseJob(data: unknown): Job {
  return parseOrThrow(JobSchema, reviveDates(data), 'Job document');
}

/** Reads and writes `jobs/{jobId}`; every change goes through a transition inside a transaction. */
export class JobRepository {
  /** Called after each job write this repository commits (for metrics: writes per job). */
  onWrite: ((jobId: string) => void) | null = null;

  constructor(private readonly db: Firestore) {}

  ref(jobId: string): DocumentReference {
    return this.db.collection(COLLECTIONS.jobs).doc(jobId);
  }

  /** `quotas/{uid}`: the count of the user's queued and running jobs, for the per-user limit. */
  quotaRef(ownerUid: string): DocumentReference {
    return this.db.collection(COLLECTIONS.quotas).doc(ownerUid);
  }

  async get(jobId: string): Promise<Job | null> {
    const snapshot = await this.ref(jobId).get();
    return snapshot.exists ? parseJob(snapshot.data()) : null;
  }

  /**
   * Applies `step` to the job in a transaction and writes the result whole. Firestore may run the
   * callback more than once under contention; `step` is pure, so that is safe.
   *
   * `now` is Firestore's clock (the read time), never this machine's: a lease written by a worker
   * and judged by the watchdog is measured on one clock, however far apart the machines' clocks are.
   */
  async transition(jobId: string, step: (job: Job, now: Date) => TransitionResult): Promise<RepositoryResult> {
    const ref = this.ref(jobId);
    const result = await this.db.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      if (!snapshot.exists) return { ok: false, refusal: 'not_found' } as const;
      const before = parseJob(snapshot.data());
      const outcome = step(before, snapshot.readTime.toDate());
      if (!outcome.ok) return outcome;
      tx.set(ref, outcome.job);
      if (!isTerminal(before.state) && isTerminal(outcome.job.state)) {
        // The job stops counting against its owner's limit in the same write that ends it.
        tx.set(this.quotaRef(before.ownerUid), { active: FieldValue.increment(-1), updatedAt: outcome.job.updatedAt }, { merge: true });
      }
      return outcome;
    });
    if (result.ok) this.onWrite?.(jobId);
    return result;
  }
}
