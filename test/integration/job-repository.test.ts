import { randomUUID } from 'node:crypto';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { cancelJob, createJob, markDispatched, type Job } from '@vidgen/contract';
import { JobRepository } from '@vidgen/contract/admin';
import { stackState } from '../support/stack-state';

jest.setTimeout(60_000);

/**
 * JobRepository's optimistic writes against the stack's real Firestore emulator, in a project of
 * their own (the stack's workers and watchdog never see these jobs).
 */
describe('JobRepository.transition on the Firestore emulator', () => {
  let app: App;
  let db: Firestore;

  beforeAll(() => {
    app = initializeApp({ projectId: 'demo-vidgen-repository' }, `repository-${randomUUID()}`);
    db = getFirestore(app);
    db.settings({ host: `127.0.0.1:${stackState().ports.firestore}`, ssl: false, ignoreUndefinedProperties: true });
  });
  afterAll(() => deleteApp(app));

  async function newJob(ownerUid = `owner-${randomUUID()}`): Promise<{ jobId: string; ownerUid: string }> {
    const { job } = createJob({ ownerUid, request: { prompt: 'a heron in fog', model: 'animatediff' }, plan: ['animatediff'], now: new Date() });
    const jobId = `job-${randomUUID()}`;
    await db.collection('jobs').doc(jobId).set(job);
    return { jobId, ownerUid };
  }

  const dispatched = (job: Job, now: Date) => markDispatched(job, { attemptIndex: 0, now });

  /**
   * The real Firestore, except that the first commit waits for `interloper` to write first: the
   * emulator then refuses it for its stale precondition, as it would a writer that lost a race.
   */
  function losingFirstCommit(interloper: () => Promise<unknown>): Firestore {
    let armed = true;
    return new Proxy(db, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (property !== 'batch') return typeof value === 'function' ? value.bind(target) : value;
        return () => {
          const batch = target.batch();
          const commit = batch.commit.bind(batch);
          batch.commit = async () => {
            if (armed) {
              armed = false;
              await interloper();
            }
            return commit();
          };
          return batch;
        };
      },
    });
  }

  it('reads again and applies the step again when someone wrote between its read and its commit', async () => {
    const { jobId } = await newJob();
    const conflicts: number[] = [];
    const jobs = new JobRepository(losingFirstCommit(() => db.doc(`jobs/${jobId}`).update({ 'attempt.dispatchCount': 5 })));
    jobs.retry = { onConflict: (tryNumber) => conflicts.push(tryNumber) };
    const result = await jobs.transition(jobId, dispatched);
    expect(result.ok && result.job.attempt?.dispatchCount).toBe(6);
    expect(conflicts).toEqual([1]);
    expect((await db.doc(`jobs/${jobId}`).get()).get('attempt.dispatchCount')).toBe(6);
  });

  it('loses no update when many writers change one job at once', async () => {
    const { jobId } = await newJob();
    const jobs = new JobRepository(db);
    const results = await Promise.all(Array.from({ length: 8 }, () => jobs.transition(jobId, dispatched)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect((await db.doc(`jobs/${jobId}`).get()).get('attempt.dispatchCount')).toBe(8);
  });

  it('ends a job once: of two racing cancels one applies, and the quota is released once, in the same commit', async () => {
    const { jobId, ownerUid } = await newJob();
    await db.doc(`quotas/${ownerUid}`).set({ ownerUid, active: 1, updatedAt: new Date() });
    const jobs = new JobRepository(db);
    const results = await Promise.all([0, 1].map(() => jobs.transition(jobId, (job, now) => cancelJob(job, { now }))));
    expect(results.map((r) => (r.ok ? 'ok' : r.refusal)).sort()).toEqual(['job_terminal', 'ok']);
    expect((await db.doc(`quotas/${ownerUid}`).get()).get('active')).toBe(0);
    expect((await db.doc(`jobs/${jobId}`).get()).get('state')).toBe('cancelled');
  });

  it('writes nothing on a refusal, and refuses a job that does not exist', async () => {
    const { jobId } = await newJob();
    const jobs = new JobRepository(db);
    const before = await db.doc(`jobs/${jobId}`).get();
    expect(await jobs.transition(jobId, (job, now) => markDispatched(job, { attemptIndex: 3, now }))).toEqual({ ok: false, refusal: 'stale_attempt' });
    expect((await db.doc(`jobs/${jobId}`).get()).updateTime?.isEqual(before.updateTime!)).toBe(true);
    expect(await jobs.transition(`missing-${randomUUID()}`, dispatched)).toEqual({ ok: false, refusal: 'not_found' });
  });

  it('keeps fields this version of the contract does not know (written by a newer one)', async () => {
    const { jobId } = await newJob();
    await db.doc(`jobs/${jobId}`).update({ budget: { reservedUsd: 1.5 } });
    const result = await new JobRepository(db).transition(jobId, dispatched);
    expect(result.ok).toBe(true);
    expect((await db.doc(`jobs/${jobId}`).get()).get('budget')).toEqual({ reservedUsd: 1.5 });
  });
});
