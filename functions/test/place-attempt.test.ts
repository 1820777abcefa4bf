import { randomUUID } from 'node:crypto';
import { HttpsError } from 'firebase-functions/v2/https';
import { attemptTaskId, type BackendPolicy } from '@vidgen/contract';
import { ANIMATEDIFF_SIM_VERSION, createReplicateSimulator, type ReplicateSimulator } from '../../provider-sims/src/simulators';
import { placeAttempt, type PlaceAttemptOptions } from '../src/orchestration/place-attempt';
import { ReplicateProvider } from '../src/providers/replicate';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { FakeWorker, registerWorker, type SeenOffer } from './support/fake-worker';
import { claimJob, seedJob, testServices, type TestServices } from './support/services';

jest.setTimeout(30_000);

const SECRET = 'a-worker-secret-of-some-length';
const TOKEN = 'test-token';

/**
 * One `runAttempt` task on the Firestore emulator (a project per test), with GPU workers as real
 * HTTP servers and Replicate as its simulator: which backend gets the attempt, and what each answer
 * of a worker leads to.
 */
describe('runAttempt: backend choice and dispatch', () => {
  let firestore: UnitFirestore;
  let t: TestServices;
  let workers: FakeWorker[];
  let seen: SeenOffer[];
  let sim: ReplicateSimulator;

  beforeAll(async () => {
    sim = await createReplicateSimulator({ token: TOKEN, startMs: 20, predictMs: 200, logsIntervalMs: 60, scale: 0.25, logLevel: 'silent' });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    firestore = unitFirestore('run-attempt');
    t = testServices(firestore);
    workers = [];
    seen = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await firestore.close();
  });

  function options(overrides: Partial<PlaceAttemptOptions> & { policy?: BackendPolicy } = {}): PlaceAttemptOptions {
    return { workerSecret: SECRET, workerWaitMs: 60_000, workerRequestTimeoutMs: 2000, policy: 'prefer-comfyui', veo: null, replicate: null, newJobWaitMs: 200, ...overrides };
  }

  const replicate = () =>
    new ReplicateProvider({
      token: TOKEN,
      baseUrl: sim.apiUrl,
      models: { animatediff: { kind: 'version', version: ANIMATEDIFF_SIM_VERSION, model: null } },
      pollMs: 25,
      timeoutMs: 20_000,
      costPerSecond: { animatediff: 0.001 },
      retry: { tries: 2, firstDelayMs: 10, maxDelayMs: 20 },
    });

  /** Starts a worker answering `status` and registers it with the given load. */
  async function worker(workerId: string, status: number, load: { running?: number; capacity?: number; pullsBacklog?: boolean } = {}): Promise<FakeWorker> {
    const started = await FakeWorker.start(workerId, status, SECRET, seen);
    workers.push(started);
    await registerWorker(t.services.db, started, load);
    return started;
  }

  it('offers the attempt, signed, to the least loaded worker; its 202 leaves the attempt to it', async () => {
    await worker('busy', 202, { running: 1, capacity: 2 });
    await worker('idle', 202, { running: 0, capacity: 2 });
    const jobId = await seedJob(t.services);
    const before = await t.services.jobs.get(jobId);

    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options());

    expect(seen).toEqual([{ workerId: 'idle', body: { jobId, attemptIndex: 0, tier: 'animatediff' }, signed: true }]);
    expect(await t.services.jobs.get(jobId)).toEqual(before);
    expect(t.queue.tasks).toEqual([]);
  });

  it('passes over a worker that is full (429), broken (500) or unreachable, to the next one', async () => {
    const gone = await FakeWorker.start('a-gone', 202, SECRET, seen);
    await gone.close();
    await registerWorker(t.services.db, gone);
    await worker('b-full', 429);
    await worker('c-broken', 500);
    await worker('d-free', 202);
    const jobId = await seedJob(t.services);

    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options());

    expect(seen.map((offer) => offer.workerId)).toEqual(['b-full', 'c-broken', 'd-free']);
    expect((await t.services.jobs.get(jobId))?.attempt).toMatchObject({ index: 0, state: 'pending' });
  });

  it('takes a 409 (another runner holds the attempt) as placed, and tries no one else', async () => {
    await worker('a-holder', 409);
    await worker('b-free', 202);
    const jobId = await seedJob(t.services);
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options());
    expect(seen.map((offer) => offer.workerId)).toEqual(['a-holder']);
  });

  it('asks Cloud Tasks to retry when every worker is full and none pulls its backlog', async () => {
    await worker('full', 429);
    const jobId = await seedJob(t.services);
    const error = await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ policy: 'comfyui-only' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpsError);
    expect(error).toMatchObject({ code: 'resource-exhausted' });
    expect((await t.services.jobs.get(jobId))?.attempt).toMatchObject({ index: 0, state: 'pending', dispatchCount: 0 });
  });

  it('leaves the attempt pending for a worker that pulls its backlog, offering it once to one not tried yet', async () => {
    await worker('a-full', 429);
    await worker('b-puller', 429, { running: 2, capacity: 2, pullsBacklog: true });
    const jobId = await seedJob(t.services);
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ policy: 'comfyui-only' }));
    expect(seen.map((offer) => offer.workerId)).toEqual(['a-full', 'b-puller']);
    expect((await t.services.jobs.get(jobId))?.attempt).toMatchObject({ index: 0, state: 'pending' });
  });

  it('fails the attempt over once it waited WORKER_WAIT_SECONDS, and dispatches the next tier', async () => {
    await worker('full', 429);
    const jobId = await seedJob(t.services, { createdAt: new Date(Date.now() - 120_000) });
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ workerWaitMs: 60_000, policy: 'comfyui-only' }));
    const job = await t.services.jobs.get(jobId);
    expect(job?.attempts).toEqual([expect.objectContaining({ index: 0, tier: 'animatediff', error: expect.objectContaining({ code: 'no_worker_available' }) })]);
    expect(job?.attempt).toMatchObject({ index: 1, tier: 'svd', state: 'pending' });
    expect(t.queue.tasks).toEqual([expect.objectContaining({ payload: { jobId, attemptIndex: 1 }, id: attemptTaskId(jobId, 1, 0) })]);
  });

  it('fails Veo over to the next tier when no Gemini API key is configured', async () => {
    const jobId = await seedJob(t.services, { plan: ['veo', 'animatediff'], request: { model: 'auto' } });
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options());
    const job = await t.services.jobs.get(jobId);
    expect(job?.attempts).toEqual([expect.objectContaining({ tier: 'veo', error: expect.objectContaining({ code: 'tier_unavailable' }) })]);
    expect(job?.attempt).toMatchObject({ index: 1, tier: 'animatediff' });
    expect(t.queue.tasks).toHaveLength(1);
  });

  it('fails over at once under replicate-only when Replicate has no model for the tier', async () => {
    await worker('free', 202);
    const jobId = await seedJob(t.services, { plan: ['svd'], request: { model: 'svd' } });
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ policy: 'replicate-only', replicate: replicate() }));
    expect(seen).toEqual([]);
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'failed', error: { code: 'tier_unavailable' } });
    expect(t.queue.tasks).toEqual([]);
  });

  it('under prefer-comfyui runs the attempt on Replicate when every worker declined it, to a stored video', async () => {
    await worker('full', 429);
    const jobId = await seedJob(t.services, { plan: ['animatediff'], request: { model: 'animatediff' } });
    const ownerUid = (await t.services.jobs.get(jobId))!.ownerUid;

    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));

    expect(seen.map((offer) => offer.workerId)).toEqual(['full']);
    const job = await t.services.jobs.get(jobId);
    expect(job).toMatchObject({ state: 'succeeded', output: { storagePath: `videos/${ownerUid}/${jobId}/attempt-0.mp4` } });
    expect(job?.attempts).toEqual([expect.objectContaining({ backend: 'replicate', outcome: 'succeeded', providerJobId: expect.any(String) })]);
    expect(job?.costUsd).toBeGreaterThan(0);
    expect(t.store.paths()).toEqual([`videos/${ownerUid}/${jobId}/attempt-0.jpg`, `videos/${ownerUid}/${jobId}/attempt-0.mp4`]);
  });

  it('re-attaches to the saved prediction when a hosted attempt\'s lease ran out, without starting another', async () => {
    const jobId = await seedJob(t.services, { plan: ['animatediff'], request: { model: 'animatediff' } });
    const created = sim.state().predictions.length;
    // The first runner started a prediction and saved its id, then its invocation died.
    const client = new (await import('replicate')).default({ auth: TOKEN, baseUrl: sim.apiUrl });
    const prediction = await client.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'a heron in fog' } });
    await claimJob(t.services, jobId, { backend: 'replicate', workerId: 'functions:replicate', leaseEndsInMs: -1000 });
    await t.services.jobs.ref(jobId).update({ 'attempt.providerJobId': prediction.id });

    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));

    expect(sim.state().predictions).toHaveLength(created + 1);
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'succeeded', attempts: [expect.objectContaining({ providerJobId: prediction.id, outcome: 'succeeded' })] });
  });

  it('waits for the job of a first attempt whose task arrived before the job was committed, then offers it', async () => {
    await worker('free', 202);
    const data = (await t.services.jobs.ref(await seedJob(t.services, { plan: ['animatediff'] })).get()).data()!;
    const jobId = `job-${randomUUID()}`;

    const placing = placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ newJobWaitMs: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.services.jobs.ref(jobId).set(data);
    await placing;

    expect(seen).toEqual([{ workerId: 'free', body: { jobId, attemptIndex: 0, tier: 'animatediff' }, signed: true }]);
  });

  it('gives up on a first attempt\'s job that is never committed after the wait, and does not wait for a later attempt\'s', async () => {
    await worker('free', 202);
    let started = Date.now();
    await placeAttempt({ jobId: `job-${randomUUID()}`, attemptIndex: 0 }, t.services, options({ newJobWaitMs: 700 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    started = Date.now();
    await placeAttempt({ jobId: `job-${randomUUID()}`, attemptIndex: 1 }, t.services, options({ newJobWaitMs: 60_000 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(seen).toEqual([]);
  });

  it('ignores a duplicate delivery while the attempt\'s lease is live, and a task for another attempt or malformed', async () => {
    await worker('free', 202);
    const jobId = await seedJob(t.services);
    const { job } = await claimJob(t.services, jobId);
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));
    await placeAttempt({ jobId, attemptIndex: 3 }, t.services, options());
    await placeAttempt({ jobId }, t.services, options());
    await placeAttempt({ jobId: 'no-such-job', attemptIndex: 0 }, t.services, options());
    expect(seen).toEqual([]);
    expect(await t.services.jobs.get(jobId)).toEqual(job);
  });
});
