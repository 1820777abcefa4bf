import { randomUUID } from 'node:crypto';
import type { CallableRequest } from 'firebase-functions/v2/https';
import { attemptTaskId, cancelJob, COLLECTIONS, LIMITS_DOCUMENT } from '@vidgen/contract';
import { createVideoJob } from '../src/api/create-video-job';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { callAs as call, deployParameters } from './support/callable';
import { testServices, type TestServices } from './support/services';

jest.setTimeout(30_000);

const LIMIT = 2;
deployParameters({ MAX_ACTIVE_JOBS_PER_USER: LIMIT });

/**
 * createVideoJob on the Firestore emulator with Cloud Tasks faked: the per-user limit and the
 * idempotency key hold in the commit that creates the job, under concurrent calls too.
 */
describe('createVideoJob: quota and idempotency', () => {
  let firestore: UnitFirestore;
  let t: TestServices;

  beforeAll(async () => {
    firestore = unitFirestore('create-job');
    t = testServices(firestore);
    // Budgets and rate out of the way: this file is about the per-user limit and idempotency.
    await firestore.db.doc(LIMITS_DOCUMENT).set({ userJobsPerMinute: 100, userDailyBudgetUsd: 10_000, globalMonthlyBudgetUsd: 100_000 });
  });
  afterAll(() => firestore.close());

  const request = (extra: Record<string, unknown> = {}) => ({ prompt: 'a heron in fog', model: 'animatediff', ...extra });
  const active = async (uid: string) => (await t.services.jobs.quotaRef(uid).get()).get('active') as number | undefined;
  const jobsOf = async (uid: string) => (await firestore.db.collection(COLLECTIONS.jobs).where('ownerUid', '==', uid).get()).docs;

  it('creates a queued job, counts it against its owner, and hands its first attempt to the queue', async () => {
    const uid = `user-${randomUUID()}`;
    const { jobId } = await createVideoJob(call(uid, request()), t.services);
    expect(await t.services.jobs.get(jobId)).toMatchObject({ ownerUid: uid, state: 'queued', plan: ['animatediff'], attempt: { index: 0, state: 'pending' } });
    expect(await active(uid)).toBe(1);
    expect(t.queue.forJob(jobId)).toEqual([expect.objectContaining({ payload: { jobId, attemptIndex: 0 }, id: attemptTaskId(jobId, 0, 0) })]);
  });

  it('answers a repeated idempotency key with the same job, and creates and counts nothing more', async () => {
    const uid = `user-${randomUUID()}`;
    const key = randomUUID();
    const first = await createVideoJob(call(uid, request({ idempotencyKey: key })), t.services);
    const again = await Promise.all([1, 2, 3].map(() => createVideoJob(call(uid, request({ idempotencyKey: key })), t.services)));
    expect(again.map((answer) => answer.jobId)).toEqual([first.jobId, first.jobId, first.jobId]);
    expect(await jobsOf(uid)).toHaveLength(1);
    expect(await active(uid)).toBe(1);
    expect(t.queue.forJob(first.jobId)).toHaveLength(1);
  });

  it('refuses a key used before for a different request', async () => {
    const uid = `user-${randomUUID()}`;
    const key = randomUUID();
    await createVideoJob(call(uid, request({ idempotencyKey: key })), t.services);
    await expect(createVideoJob(call(uid, request({ idempotencyKey: key, prompt: 'another video' })), t.services)).rejects.toMatchObject({ code: 'failed-precondition' });
    // Keys are the caller's own: another user's same key makes a job of its own.
    const other = `user-${randomUUID()}`;
    await createVideoJob(call(other, request({ idempotencyKey: key, prompt: 'another video' })), t.services);
    expect(await jobsOf(other)).toHaveLength(1);
  });

  it('refuses a job over the limit, and allows one again once a job ends', async () => {
    const uid = `user-${randomUUID()}`;
    const [first] = await Promise.all([createVideoJob(call(uid, request()), t.services), createVideoJob(call(uid, request()), t.services)]);
    await expect(createVideoJob(call(uid, request()), t.services)).rejects.toMatchObject({ code: 'resource-exhausted' });
    expect(await active(uid)).toBe(LIMIT);

    const cancelled = await t.services.jobs.transition(first.jobId, (job, now) => cancelJob(job, { now }));
    expect(cancelled.ok).toBe(true);
    expect(await active(uid)).toBe(LIMIT - 1);
    await createVideoJob(call(uid, request()), t.services);
    expect(await active(uid)).toBe(LIMIT);
  });

  it('lets exactly the limit through when one user\'s calls race', async () => {
    const uid = `user-${randomUUID()}`;
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map(() => createVideoJob(call(uid, request()), t.services)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(LIMIT);
    for (const outcome of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) expect(outcome.reason).toMatchObject({ code: 'resource-exhausted' });
    expect(await jobsOf(uid)).toHaveLength(LIMIT);
    expect(await active(uid)).toBe(LIMIT);
    // Each job's first attempt was handed to the queue once, whichever round created it.
    for (const job of await jobsOf(uid)) expect(t.queue.forJob(job.id)).toHaveLength(1);
  });

  it('still answers with the job when the queue refuses its first attempt: the job is saved and waits for the watchdog', async () => {
    const uid = `user-${randomUUID()}`;
    t.queue.failWith = Object.assign(new Error('Queue does not exist.'), { code: 'functions/not-found' });
    try {
      const { jobId } = await createVideoJob(call(uid, request()), t.services);
      expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'queued', attempt: { state: 'pending', dispatchCount: 0 } });
      expect(t.queue.forJob(jobId)).toEqual([]);
    } finally {
      t.queue.failWith = null;
    }
  });

  it('refuses a caller who is not signed in, before anything is written', async () => {
    await expect(createVideoJob({ data: request(), rawRequest: {} } as unknown as CallableRequest<unknown>, t.services)).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
