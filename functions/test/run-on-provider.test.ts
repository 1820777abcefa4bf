import { attemptTaskId, cancelJob, claimAttempt } from '@vidgen/contract';
import { userDayLedgerRef } from '@vidgen/contract/admin';
import { ANIMATEDIFF_SIM_VERSION, createReplicateSimulator, createVeoSimulator, type ReplicateSimulator, type VeoSimulator } from '../../provider-sims/src/simulators';
import { placeAttempt, type PlaceAttemptOptions } from '../src/orchestration/place-attempt';
import { sweep } from '../src/orchestration/watchdog';
import { ReplicateProvider } from '../src/providers/replicate';
import { VeoProvider } from '../src/providers/veo';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { seedJob, testServices, type TestServices } from './support/services';

jest.setTimeout(40_000);

const KEY = 'test-key';
const TOKEN = 'test-token';
const USD_PER_SECOND = 0.001;

/**
 * Hosted attempts end to end inside one task invocation, on the Firestore emulator with the provider
 * simulators' real HTTP: a Veo chain handed from one invocation to the next, and a Replicate
 * prediction cancelled mid-run whose charge the watchdog reads afterwards.
 */
describe('hosted attempts under a lease', () => {
  let firestore: UnitFirestore;
  let t: TestServices;
  let veoSim: VeoSimulator;
  let replicateSim: ReplicateSimulator;

  beforeAll(async () => {
    veoSim = await createVeoSimulator({ apiKey: KEY, latencyMs: 60, scale: 0.125, logLevel: 'silent' });
    replicateSim = await createReplicateSimulator({ token: TOKEN, startMs: 20, predictMs: 300, logsIntervalMs: 60, scale: 0.25, logLevel: 'silent' });
  });
  afterEach(() => veoSim.clearScript());
  afterAll(async () => {
    await veoSim.close();
    await replicateSim.close();
  });
  beforeEach(() => {
    firestore = unitFirestore('hosted');
    t = testServices(firestore);
  });
  afterEach(() => firestore.close());

  const veo = (invocationBudgetMs: number) =>
    new VeoProvider({
      apiKey: KEY,
      model: 'veo-3.1-generate-preview',
      baseUrl: veoSim.url,
      pollMs: 20,
      timeoutMs: 5000,
      costPerSecond: 0.4,
      retry: { tries: 2, firstDelayMs: 10, maxDelayMs: 20 },
      invocationBudgetMs,
      fetch: (input, init) => fetch(input, init),
    });
  const replicate = () =>
    new ReplicateProvider({
      token: TOKEN,
      baseUrl: replicateSim.apiUrl,
      models: { animatediff: { kind: 'version', version: ANIMATEDIFF_SIM_VERSION, model: null } },
      pollMs: 25,
      timeoutMs: 20_000,
      costPerSecond: { animatediff: USD_PER_SECOND },
      retry: { tries: 2, firstDelayMs: 10, maxDelayMs: 20 },
    });
  const options = (overrides: Partial<PlaceAttemptOptions>): PlaceAttemptOptions => ({
    workerSecret: 'a-worker-secret-of-some-length', workerWaitMs: 60_000, workerRequestTimeoutMs: 1000, policy: 'replicate-only', veo: null, replicate: null, ...overrides,
  });

  it('a Veo chain that does not fit one invocation is handed to the next, which finishes it from the recorded segment', async () => {
    const prompt = 'a chain across invocations';
    const jobId = await seedJob(t.services, { plan: ['veo'], request: { model: 'veo', durationSeconds: 15, prompt } });
    veoSim.script({ outcome: 'success', promptContains: prompt, latencyMs: 1500 });

    // Each segment takes 1.5 s; the first invocation has room for one segment's timeout and 0.8 s more.
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ veo: veo(5800) }));
    const handedOn = await t.services.jobs.get(jobId);
    expect(handedOn).toMatchObject({ state: 'running', attempt: { index: 0, state: 'pending', leaseToken: null, dispatchCount: 1, resumes: 1, costUsd: 3.2 } });
    expect(handedOn?.attempt?.segments).toHaveLength(1);
    expect(t.queue.forJob(jobId)).toEqual([expect.objectContaining({ payload: { jobId, attemptIndex: 0 }, id: attemptTaskId(jobId, 0, 1) })]);

    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ veo: veo(60_000) }));
    const done = await t.services.jobs.get(jobId);
    expect(done).toMatchObject({ state: 'succeeded', costUsd: 6, output: { durationSeconds: 15 } });
    const operations = veoSim.state().operations.filter((operation) => operation.prompt === prompt);
    expect(operations).toHaveLength(2);
    expect(operations[1]!.extends).toBe(operations[0]!.files[0]!.id);
  });

  it('a reference image that cannot be read fails the Veo attempt before anything is paid for', async () => {
    const prompt = 'an image that is not there';
    const ownerUid = 'owner-without-upload';
    const jobId = await seedJob(t.services, { ownerUid, plan: ['veo'], request: { model: 'veo', prompt, referenceImagePath: `uploads/${ownerUid}/missing.png` } });
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ veo: veo(60_000) }));
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'failed', costUsd: 0, error: { code: 'reference_image_missing' } });
    expect(veoSim.state().operations.filter((operation) => operation.prompt === prompt)).toEqual([]);
  });

  it('a cancel stops a Replicate run and its prediction; the watchdog then adds what the prediction ran for', async () => {
    const prompt = 'a prediction cancelled mid-way';
    replicateSim.script({ outcome: 'never_finishes', promptContains: prompt });
    const jobId = await seedJob(t.services, { plan: ['animatediff'], request: { model: 'animatediff', prompt } });

    const running = placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));
    const predictionOf = () => replicateSim.state().predictions.find((p) => JSON.stringify(p.prediction.input).includes(prompt))?.prediction;
    for (let i = 0; i < 750 && predictionOf()?.status !== 'processing'; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(predictionOf()?.status).toBe('processing');
    const cancelled = await t.services.jobs.transition(jobId, (job, now) => cancelJob(job, { now }));
    expect(cancelled.ok).toBe(true);
    await running;

    const id = predictionOf()!.id;
    expect(replicateSim.state().cancelCalls.filter((call) => call.predictionId === id)).toHaveLength(1);
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'cancelled', costPending: true, attempts: [expect.objectContaining({ outcome: 'cancelled', providerJobId: id, costKnown: false })] });

    const report = await sweep(t.services, { pendingStaleMs: 3_600_000, replicate: replicate() });
    expect(report.costsSettled).toBe(1);
    const settled = await t.services.jobs.get(jobId);
    const charge = Math.round((predictionOf()!.metrics.predict_time ?? 0) * USD_PER_SECOND * 1e6) / 1e6;
    expect(charge).toBeGreaterThan(0);
    expect(settled).toMatchObject({ costPending: false, costUsd: charge, attempts: [expect.objectContaining({ costKnown: true, costUsd: charge })] });
  });

  /** The prediction made for `prompt`, as the simulator holds it. */
  const predictionFor = (prompt: string) => replicateSim.state().predictions.find((p) => JSON.stringify(p.prediction.input).includes(prompt))?.prediction;
  const chargeOf = (prompt: string) => Math.round((predictionFor(prompt)!.metrics.predict_time ?? 0) * USD_PER_SECOND * 1e6) / 1e6;
  const cancelsOf = (id: string) => replicateSim.state().cancelCalls.filter((call) => call.predictionId === id);
  async function poll(done: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 400 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!done()) throw new Error(`timed out waiting for ${what}`);
  }

  it('a cancel between the prediction\'s create and the save of its id still cancels it, and its charge reaches the job and the ledgers', async () => {
    const prompt = 'a prediction whose id comes back after the cancel';
    // The create is answered 1.5 s after the prediction started: the cancel lands before the run can save the id.
    replicateSim.script({ outcome: 'never_finishes', promptContains: prompt, answerDelayMs: 1500 });
    const ownerUid = 'owner-late-answer';
    const jobId = await seedJob(t.services, { ownerUid, plan: ['animatediff'], request: { model: 'animatediff', prompt } });
    const reservation = { day: '2026-12-02', month: '2026-12', shards: [{ shard: 0, microUsd: 500_000 }] };
    await t.services.jobs.ref(jobId).update({ reservedUsd: 0.5, reservation });

    const running = placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));
    await poll(() => predictionFor(prompt)?.status === 'processing', 'the prediction to run');
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'running', attempt: { providerJobId: null } });
    expect((await t.services.jobs.transition(jobId, (job, now) => cancelJob(job, { now }))).ok).toBe(true);
    await running;

    const id = predictionFor(prompt)!.id;
    await poll(() => cancelsOf(id).length > 0, 'the cancel call');
    expect(cancelsOf(id)).toEqual([expect.objectContaining({ statusBefore: 'processing', statusAfter: 'canceled' })]);
    expect(await t.services.jobs.get(jobId)).toMatchObject({
      state: 'cancelled',
      costPending: true,
      attempts: [
        expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: null, costKnown: true, costUsd: 0 }),
        expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: id, costKnown: false }),
      ],
    });

    const report = await sweep(t.services, { pendingStaleMs: 3_600_000, replicate: replicate() });
    expect(report.costsSettled).toBe(1);
    const charge = chargeOf(prompt);
    expect(charge).toBeGreaterThan(0);
    const settled = await t.services.jobs.get(jobId);
    expect(settled).toMatchObject({ state: 'cancelled', costPending: false, costUsd: charge });
    expect(settled?.attempts[1]).toMatchObject({ providerJobId: id, costKnown: true, costUsd: charge });
    const day = (await userDayLedgerRef(t.services.db, ownerUid, reservation.day).get()).data();
    expect(day).toMatchObject({ reservedMicroUsd: -500_000, spentMicroUsd: Math.round(charge * 1e6) });
  });

  it('a lease taken over between the prediction\'s create and the save of its id leaves the new runner\'s attempt alone, and the prediction is cancelled and charged', async () => {
    const prompt = 'a prediction whose runner lost its lease meanwhile';
    replicateSim.script({ outcome: 'never_finishes', promptContains: prompt, answerDelayMs: 1500 });
    const jobId = await seedJob(t.services, { plan: ['animatediff'], request: { model: 'animatediff', prompt } });

    const running = placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));
    await poll(() => predictionFor(prompt)?.status === 'processing', 'the prediction to run');
    // Another runner claims the attempt as if the first one's lease had run out.
    const takeover = await t.services.jobs.transition(jobId, (job, now) =>
      claimAttempt(job, { attemptIndex: 0, backend: 'replicate', workerId: 'runner-b', leaseToken: 'runner-b:token', leaseMs: 3_600_000, now: new Date(now.getTime() + 3_600_000) }),
    );
    expect(takeover.ok).toBe(true);
    await running;

    const id = predictionFor(prompt)!.id;
    await poll(() => cancelsOf(id).length > 0, 'the cancel call');
    expect(cancelsOf(id)).toEqual([expect.objectContaining({ statusBefore: 'processing', statusAfter: 'canceled' })]);
    const recorded = await t.services.jobs.get(jobId);
    expect(recorded).toMatchObject({ state: 'running', costPending: true, attempt: { index: 0, workerId: 'runner-b', leaseToken: 'runner-b:token', providerJobId: null } });
    expect(recorded?.attempts).toEqual([expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: id, costKnown: false })]);

    expect((await sweep(t.services, { pendingStaleMs: 3_600_000, replicate: replicate() })).costsSettled).toBe(1);
    const charge = chargeOf(prompt);
    expect(charge).toBeGreaterThan(0);
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'running', costPending: false, costUsd: charge, attempt: { workerId: 'runner-b' } });
  });

  it('a failed prediction fails the attempt over to the next tier with what it ran for', async () => {
    const prompt = 'too big to fit';
    replicateSim.script({ outcome: 'failed', promptContains: prompt });
    const jobId = await seedJob(t.services, { plan: ['animatediff', 'svd'], request: { model: 'auto', prompt } });
    await placeAttempt({ jobId, attemptIndex: 0 }, t.services, options({ replicate: replicate() }));
    const job = await t.services.jobs.get(jobId);
    expect(job?.attempts).toEqual([expect.objectContaining({ backend: 'replicate', outcome: 'failed', error: expect.objectContaining({ code: 'gpu_out_of_memory' }) })]);
    expect(job?.attempts[0]?.costUsd).toBeGreaterThan(0);
    expect(job?.attempt).toMatchObject({ index: 1, state: 'pending' });
    expect(t.queue.forJob(jobId)).toEqual([expect.objectContaining({ payload: { jobId, attemptIndex: 1 } })]);
  });
});
