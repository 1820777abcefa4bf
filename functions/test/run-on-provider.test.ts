import { attemptTaskId, cancelJob } from '@vidgen/contract';
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
