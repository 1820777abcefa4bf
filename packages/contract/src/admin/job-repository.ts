import { FieldValue, type DocumentReference, type Firestore, type WriteBatch } from 'firebase-admin/firestore';
import { reviveDates } from '../firestore-data';
import { COLLECTIONS, isTerminal, JobSchema, type Job } from '../job';
import type { TransitionResult } from '../transitions';
import { describeIssues } from '../validation';
import { chargeLateSpend, settleSpend } from './budget-ledger';
import { optimistically, type OptimisticOptions } from './optimistic-write';

export type RepositoryResult = TransitionResult | { ok: false; refusal: 'not_found' };

/**
 * A job document that does not parse: written by another version of the contract (a new function
 * beside an old worker image, or the reverse) or by hand. Sweeps skip it and count it; they never
 * rewrite a document they cannot read.
 */
export class InvalidJobDocument extends Error {
  override readonly name = 'InvalidJobDocument';
  constructor(readonly jobId: string | null, readonly problems: string[]) {
    super(`Job document${jobId ? ` ${jobId}` : ''} is invalid: ${problems.join('; ')}`);
  }
}

/** Parses a job document as read from Firestore (Timestamps become Dates); throws {@link InvalidJobDocument}. */
export function parseJob(data: unknown, jobId?: string): Job {
  const result = JobSchema.safeParse(reviveDates(data));
  if (!result.success) throw new InvalidJobDocument(jobId ?? null, describeIssues(result.error));
  return result.data;
}

/** Reads and writes `jobs/{jobId}`; every change goes through a pure transition, committed only if the job is unchanged. */
export class JobRepository {
  /** Called after each job write this repository commits (for metrics: writes per job). */
  onWrite: ((jobId: string) => void) | null = null;
  /** How {@link transition} retries a commit that lost a race; `onConflict` sees each one (metrics). */
  retry: OptimisticOptions = {};

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
    return snapshot.exists ? parseJob(snapshot.data(), jobId) : null;
  }

  /**
   * Applies `step` to the job and writes the result whole, atomically with {@link addSideWrites}, in
   * one commit conditional on the job being as it was read (its `updateTime`); when another writer
   * got there first, reads again and applies `step` again (it is pure, so that is safe). A plain
   * read and a conditional commit rather than a transaction: nothing is locked while `step` decides,
   * so a claim, the prompt-id save, a lease renewal, progress, a cancel and the dispatcher never
   * queue behind one another or behind a listener on this one document.
   *
   * `now` is Firestore's clock (the read time), never this machine's: a lease written by a worker
   * and judged by the watchdog is measured on one clock, however far apart the machines' clocks are.
   */
  async transition(jobId: string, step: (job: Job, now: Date) => TransitionResult): Promise<RepositoryResult> {
    const ref = this.ref(jobId);
    const result = await optimistically(async (): Promise<RepositoryResult> => {
      const snapshot = await ref.get();
      if (!snapshot.exists) return { ok: false, refusal: 'not_found' };
      const before = parseJob(snapshot.data(), jobId);
      const outcome = step(before, snapshot.readTime.toDate());
      if (!outcome.ok) return outcome;
      const batch = this.db.batch();
      // Every field of the job is given, so this replaces the document as `set` would.
      batch.update(ref, outcome.job, { lastUpdateTime: snapshot.updateTime! });
      this.addSideWrites(batch, before, outcome.job);
      await batch.commit();
      return outcome;
    }, this.retry);
    if (result.ok) this.onWrite?.(jobId);
    return result;
  }

  /**
   * The one place for writes that land in the same atomic commit as a job change, such as what the
   * end of a job releases. The commit is conditional on the job document only, so these must be
   * blind writes (`FieldValue.increment`, merges, creates) that need no read of their own.
   */
  private addSideWrites(batch: WriteBatch, before: Job, after: Job): void {
    if (!isTerminal(before.state) && isTerminal(after.state)) {
      // The job stops counting against its owner's limit in the same write that ends it.
      batch.set(this.quotaRef(before.ownerUid), { active: FieldValue.increment(-1), updatedAt: after.updatedAt }, { merge: true });
      // Its budget reservation is released and its real cost charged in the same write.
      settleSpend(batch, this.db, after);
    } else if (isTerminal(before.state) && after.costUsd > before.costUsd) {
      chargeLateSpend(batch, this.db, after, after.costUsd - before.costUsd);
    }
  }
}
