import { Readable } from 'node:stream';
import { attemptTaskId, cancelJob, COLLECTIONS, recordAttemptCost, recordProviderJob, recordSegment } from '@vidgen/contract';
import { sweep } from '../src/orchestration/watchdog';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { claimJob, seedJob, testServices, type TestServices } from './support/services';

jest.setTimeout(20_000);

/**
 * The watchdog's sweep on the Firestore emulator (a project per test, so each sweep sees only its
 * own jobs), with Cloud Tasks faked: what it hands back, re-dispatches, resumes and fails over.
 */
describe('watchdog sweep', () => {
  let firestore: UnitFirestore;
  let t: TestServices;

  beforeEach(() => {
    firestore = unitFirestore('watchdog');
    t = testServices(firestore);
  });
  afterEach(() => firestore.close());

  const HOUR = 3_600_000;

  it('hands back an attempt whose runner stopped renewing its lease, and dispatches the next one', async () => {
    const jobId = await seedJob(t.services);
    await claimJob(t.services, jobId, { leaseEndsInMs: -1000 });

    const report = await sweep(t.services, { pendingStaleMs: HOUR });

    expect(report).toMatchObject({ leasesExpired: 1, redispatched: 0, failedOver: 0, failures: 0 });
    const job = await t.services.jobs.get(jobId);
    expect(job?.attempts).toEqual([expect.objectContaining({ index: 0, outcome: 'failed', error: expect.objectContaining({ code: 'lease_expired' }) })]);
    expect(job?.attempt).toMatchObject({ index: 1, state: 'pending', tier: 'animatediff' });
    expect(t.queue.forJob(jobId)).toEqual([{ queue: 'runAttempt', payload: { jobId, attemptIndex: 1 }, id: attemptTaskId(jobId, 1, 0) }]);
  });

  it('leaves a live lease alone', async () => {
    const jobId = await seedJob(t.services);
    const { job } = await claimJob(t.services, jobId);
    expect(await sweep(t.services, { pendingStaleMs: 0 })).toMatchObject({ leasesExpired: 0, redispatched: 0, failedOver: 0 });
    expect(await t.services.jobs.get(jobId)).toEqual(job);
    expect(t.queue.tasks).toEqual([]);
  });

  it('resumes a Veo chain with paid segments rather than ending it: same attempt, segments kept, a new task name', async () => {
    const jobId = await seedJob(t.services, { plan: ['veo'], request: { model: 'veo', durationSeconds: 15 } });
    const { leaseToken } = await claimJob(t.services, jobId, { backend: 'gemini', leaseEndsInMs: -1000 });
    const segment = { operation: 'models/veo/operations/first', videoUri: 'https://veo.example/first', seconds: 8, costUsd: 3.2 };
    const saved = await t.services.jobs.transition(jobId, (job, now) => recordSegment(job, { leaseToken, segment: { ...segment, completedAt: now }, now }));
    expect(saved.ok).toBe(true);

    const report = await sweep(t.services, { pendingStaleMs: HOUR });

    expect(report).toMatchObject({ leasesExpired: 1, failures: 0 });
    const job = await t.services.jobs.get(jobId);
    expect(job).toMatchObject({ state: 'running', attempts: [], attempt: { index: 0, state: 'pending', leaseToken: null, resumes: 1, dispatchCount: 1, costUsd: 3.2, providerJobId: segment.operation } });
    expect(job?.attempt?.segments).toEqual([expect.objectContaining(segment)]);
    expect(t.queue.forJob(jobId)).toEqual([expect.objectContaining({ payload: { jobId, attemptIndex: 0 }, id: attemptTaskId(jobId, 0, 1) })]);
  });

  it('re-dispatches a pending attempt whose task was lost, under a new task name each time, then fails it over', async () => {
    const jobId = await seedJob(t.services, { createdAt: new Date(Date.now() - HOUR) });
    const first = await sweep(t.services, { pendingStaleMs: 0 });
    const second = await sweep(t.services, { pendingStaleMs: 0 });
    expect(first).toMatchObject({ redispatched: 1, failedOver: 0 });
    expect(second).toMatchObject({ redispatched: 1, failedOver: 0 });
    expect(t.queue.forJob(jobId).map((task) => task.id)).toEqual([attemptTaskId(jobId, 0, 1), attemptTaskId(jobId, 0, 2)]);

    const third = await sweep(t.services, { pendingStaleMs: 0 });
    expect(third).toMatchObject({ redispatched: 0, failedOver: 1 });
    const job = await t.services.jobs.get(jobId);
    expect(job?.attempts).toEqual([expect.objectContaining({ index: 0, error: expect.objectContaining({ code: 'no_worker_available' }) })]);
    expect(job?.attempt).toMatchObject({ index: 1, tier: 'svd', state: 'pending' });
    expect(t.queue.forJob(jobId).at(-1)).toMatchObject({ payload: { jobId, attemptIndex: 1 }, id: attemptTaskId(jobId, 1, 0) });
  });

  it('does not count a Veo chain\'s hand-offs against its re-dispatches', async () => {
    const jobId = await seedJob(t.services, { plan: ['veo'], request: { model: 'veo' } });
    // Handed on three times between invocations, never re-dispatched by the watchdog.
    await t.services.jobs.ref(jobId).update({ 'attempt.dispatchCount': 3, 'attempt.resumes': 3, updatedAt: new Date(Date.now() - HOUR) });
    expect(await sweep(t.services, { pendingStaleMs: 0 })).toMatchObject({ redispatched: 1, failedOver: 0 });
    expect((await t.services.jobs.get(jobId))?.attempt).toMatchObject({ index: 0, dispatchCount: 4, state: 'pending' });
  });

  it('goes on with the other jobs when one document does not parse or one enqueue fails, and counts each', async () => {
    await t.services.db.collection(COLLECTIONS.jobs).doc('broken').set({ attempt: { state: 'running', leaseExpiresAt: new Date(Date.now() - HOUR), index: 0 } });
    const jobId = await seedJob(t.services);
    await claimJob(t.services, jobId, { leaseEndsInMs: -1000 });
    const report = await sweep(t.services, { pendingStaleMs: HOUR });
    expect(report).toMatchObject({ leasesExpired: 1, failures: 1 });
    expect(t.queue.forJob(jobId)).toHaveLength(1);

    t.queue.failWith = Object.assign(new Error('Queue does not exist.'), { code: 'functions/not-found' });
    const other = await seedJob(t.services);
    await claimJob(t.services, other, { leaseEndsInMs: -1000 });
    expect(await sweep(t.services, { pendingStaleMs: HOUR })).toMatchObject({ leasesExpired: 1, failures: 2 });
    // Written, though not handed on: the pending attempt is re-dispatched once its hand-off is stale.
    expect((await t.services.jobs.get(other))?.attempt).toMatchObject({ index: 1, state: 'pending' });
  });

  it('without a Replicate token, lets a cancelled prediction\'s recorded cost stand rather than wait for it forever', async () => {
    const jobId = await seedJob(t.services, { plan: ['animatediff'], request: { model: 'animatediff' } });
    const { leaseToken } = await claimJob(t.services, jobId, { backend: 'replicate', workerId: 'functions:replicate' });
    await t.services.jobs.transition(jobId, (job, now) => recordProviderJob(job, { leaseToken, providerJobId: 'prediction-1', now }));
    await t.services.jobs.transition(jobId, (job, now) => recordAttemptCost(job, { leaseToken, costUsd: 0.02, now }));
    await t.services.jobs.transition(jobId, (job, now) => cancelJob(job, { now }));
    expect(await t.services.jobs.get(jobId)).toMatchObject({ costPending: true });

    expect(await sweep(t.services, { pendingStaleMs: HOUR, replicate: null })).toMatchObject({ costsSettled: 1, failures: 0 });
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'cancelled', costPending: false, costUsd: 0.02, attempts: [expect.objectContaining({ costKnown: true, costUsd: 0.02 })] });
  });

  it('ends the job when the expired attempt was its last chance, and removes what its attempts stored', async () => {
    const jobId = await seedJob(t.services, { plan: ['svd'], request: { model: 'svd' } });
    const ownerUid = (await t.services.jobs.get(jobId))!.ownerUid;
    // Two tries failed already; this third one's runner dies after storing its video.
    await t.services.jobs.ref(jobId).update({ attempts: [0, 1].map((index) => attemptRecord(index)), 'attempt.index': 2 });
    await claimJob(t.services, jobId, { leaseEndsInMs: -1000 });
    const stored = `videos/${ownerUid}/${jobId}/attempt-2.mp4`;
    await t.store.put(stored, Readable.from([Buffer.from('late')]), { contentType: 'video/mp4' });
    await t.services.jobs.quotaRef(ownerUid).set({ ownerUid, active: 1, updatedAt: new Date() });

    expect(await sweep(t.services, { pendingStaleMs: HOUR })).toMatchObject({ leasesExpired: 1 });
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'failed', attempt: null, error: { code: 'lease_expired' } });
    expect(t.store.removed).toContain(stored);
    expect(t.queue.forJob(jobId)).toEqual([]);
    // Its slot is free again for its owner.
    expect((await t.services.jobs.quotaRef(ownerUid).get()).get('active')).toBe(0);
  });
});

function attemptRecord(index: number) {
  const at = new Date(Date.now() - 60_000);
  return {
    index, tier: 'svd', backend: 'comfyui', workerId: 'worker-a', outcome: 'failed', startedAt: at, endedAt: at,
    error: { code: 'comfyui_stalled', message: 'stalled', retryable: true }, costUsd: 0, providerJobId: null, costKnown: true,
  };
}
