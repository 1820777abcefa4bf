import { randomUUID } from 'node:crypto';
import type { DocumentData } from 'firebase-admin/firestore';
import Replicate from 'replicate';
import { claimAttempt, createJob, CreateVideoJobRequestSchema, recordProviderJob, type Job, type TransitionResult } from '@vidgen/contract';
import { SIMULATED_VERSIONS } from '../../scripts/stack/provider-versions';
import { LOCAL_SECRETS } from '../../scripts/stack/stack';
import { adminDb, jobWhen } from '../support/admin';
import { setStepMs } from '../support/comfy-sim';
import { clearProviderScripts, providerState, scriptProvider } from '../support/provider-sims';
import { stackState } from '../support/stack-state';
import { isTerminalJob, signedInUser, type WebUser } from '../support/web-client';

jest.setTimeout(180_000);

/** The rates the stack's functions and workers run with (functions/.env of the stack, the workers' default). */
const VEO_USD_PER_SECOND = 0.4;
const REPLICATE_USD_PER_SECOND = 0.000975;
const GPU_USD_PER_HOUR = 0.44;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ok(result: TransitionResult): Job {
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  return result.job;
}

interface VeoOperation { name: string; prompt: string; createdAt: string; done: boolean; extends: string | null }
interface CancelCall { predictionId: string; at: string; statusBefore: string; statusAfter: string; predictTime: number | null }
interface PredictionState { prediction: { id: string; status: string; metrics: { predict_time?: number } } }

const sumOfAttempts = (job: DocumentData) => (job.attempts as Array<{ costUsd: number }>).reduce((sum, attempt) => sum + attempt.costUsd, 0);

describe('every attempt records what it cost, and cancelling stops paid work', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterEach(() => clearProviderScripts());
  afterAll(async () => {
    await setStepMs(60);
    await user.close();
  });

  it('a cancelled Veo job starts no further segment, and is charged for the segments it finished', async () => {
    const marker = randomUUID();
    // Each segment takes 3 s; 22 s is one 8 s generation and two 7 s extensions.
    await scriptProvider('veo', { promptContains: marker, outcome: 'success', latencyMs: 3000 });
    const { jobId } = await user.createVideoJob({ prompt: `${marker} a long walk on the beach`, model: 'veo', durationSeconds: 22 });
    // The first segment is recorded (its cost on the attempt) before the second starts.
    const second = await jobWhen(jobId, (job) => job.state === 'running' && job.progress.step === 2 && job.progress.totalSteps === 3, 100_000);
    expect(second.attempt.costUsd).toBe(8 * VEO_USD_PER_SECOND);
    const cancelledAt = Date.now();
    expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
    // Long enough for the second segment to finish and a third to have started, were it going to.
    await sleep(8000);

    const operations = ((await providerState('veo')).operations as VeoOperation[]).filter((op) => op.prompt.includes(marker));
    expect(operations).toHaveLength(2);
    for (const op of operations) expect(Date.parse(op.createdAt)).toBeLessThan(cancelledAt);
    expect(operations[1]!.extends).not.toBeNull();

    const job = (await adminDb().doc(`jobs/${jobId}`).get()).data()!;
    expect(job.state).toBe('cancelled');
    expect(job.attempts).toEqual([expect.objectContaining({ tier: 'veo', outcome: 'cancelled', costKnown: true, costUsd: 8 * VEO_USD_PER_SECOND })]);
    expect(job.costUsd).toBeCloseTo(8 * VEO_USD_PER_SECOND, 6);
    expect(job.costPending).toBe(false);
  });

  it('a cancelled GPU attempt is charged for the time it held the GPU', async () => {
    await setStepMs(400);
    const { jobId } = await user.createVideoJob({ prompt: `held ${randomUUID()} a windmill`, model: 'animatediff' });
    const sampling = await jobWhen(jobId, (job) => job.state === 'running' && job.progress.stage === 'sampling', 100_000);
    expect(sampling.attempt).toMatchObject({ backend: 'comfyui', usdPerHour: GPU_USD_PER_HOUR });
    await sleep(2000);
    await user.cancelVideoJob(jobId);
    const cancelled = await jobWhen(jobId, (job) => job.state === 'cancelled');
    const [attempt] = cancelled.attempts;
    const heldMs = attempt.endedAt.toMillis() - attempt.startedAt.toMillis();
    expect(heldMs).toBeGreaterThan(2000);
    expect(attempt).toMatchObject({ outcome: 'cancelled', costKnown: true });
    expect(attempt.costUsd).toBeCloseTo((heldMs / 3_600_000) * GPU_USD_PER_HOUR, 6);
    expect(cancelled.costUsd).toBeCloseTo(sumOfAttempts(cancelled), 9);
  });

  it('a Replicate prediction whose runner died is cancelled by the watchdog, which records its charge', async () => {
    const marker = `orphan-${randomUUID()}`;
    await scriptProvider('replicate', { promptContains: marker, outcome: 'never_finishes' });
    const { ports } = stackState();
    const replicate = new Replicate({ auth: LOCAL_SECRETS.REPLICATE_API_TOKEN, baseUrl: `http://127.0.0.1:${ports.replicate}/v1` });
    const prediction = await replicate.predictions.create({ version: SIMULATED_VERSIONS.animatediff, input: { prompt: `${marker} a lighthouse` } });
    for (let i = 0; i < 50 && (await replicate.predictions.get(prediction.id)).status !== 'processing'; i += 1) await sleep(100);

    // What a runAttempt invocation killed mid-wait leaves: the prediction saved on a running attempt
    // whose lease nobody renews any more (it ran out a minute ago).
    const startedAt = new Date(Date.now() - 66_000);
    const request = CreateVideoJobRequestSchema.parse({ prompt: `${marker} a lighthouse`, model: 'animatediff' });
    let job = createJob({ ownerUid: `orphan-owner-${randomUUID()}`, request, plan: ['animatediff'], now: startedAt }).job;
    job = ok(claimAttempt(job, { attemptIndex: 0, backend: 'replicate', workerId: 'functions:replicate', leaseToken: 'dead-runner', leaseMs: 6000, now: startedAt }));
    job = ok(recordProviderJob(job, { leaseToken: 'dead-runner', providerJobId: prediction.id, now: startedAt }));
    const ref = adminDb().collection('jobs').doc();
    await ref.set(job);

    const settled = await jobWhen(ref.id, (data) => data.attempts?.[0]?.costKnown === true, 60_000);
    const [expired] = settled.attempts;
    expect(expired).toMatchObject({ outcome: 'failed', backend: 'replicate', providerJobId: prediction.id, error: expect.objectContaining({ code: 'lease_expired' }) });
    const sim = await providerState('replicate');
    const calls = (sim.cancelCalls as CancelCall[]).filter((call) => call.predictionId === prediction.id);
    expect(calls[0]).toMatchObject({ statusBefore: 'processing', statusAfter: 'canceled' });
    const billed = (sim.predictions as PredictionState[]).find((p) => p.prediction.id === prediction.id)!.prediction;
    expect(billed.status).toBe('canceled');
    expect(billed.metrics.predict_time).toBeGreaterThan(0);
    expect(expired.costUsd).toBe(Math.round(billed.metrics.predict_time! * REPLICATE_USD_PER_SECOND * 1e6) / 1e6);
    expect(settled.costUsd).toBeCloseTo(sumOfAttempts(settled), 9);

    // The retry the expiry dispatched runs on; let it end so that nothing of this test stays busy.
    await jobWhen(ref.id, isTerminalJob, 60_000);
  });
});
