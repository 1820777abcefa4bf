import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, JobError, resolveTierParams, type Attempt } from '@vidgen/contract';
import { RunStopped } from '@vidgen/runner';
import { ANIMATEDIFF_SIM_VERSION, createReplicateSimulator, type ReplicateSimulator } from '../../provider-sims/src/simulators';
import type { HostedRun } from '../src/providers/hosted-provider';
import { ReplicateProvider } from '../src/providers/replicate';

/** Replicate's L40S price, as REPLICATE_ANIMATEDIFF_COST_PER_SECOND defaults to. */
const USD_PER_SECOND = 0.000975;
const TOKEN = 'test-token';

/** A run context as runUnderLease gives it, recording what the provider reports. */
function hostedRun(prompt: string, workDir: string, controller = new AbortController(), providerJobId: string | null = null) {
  const request = { prompt, model: 'animatediff' as const };
  const job = createJob({ ownerUid: 'u', request, plan: ['animatediff'], now: new Date() }).job;
  const attempt: Attempt = { ...job.attempt!, backend: 'replicate', state: 'running', providerJobId };
  const recorded: number[] = [];
  const saved: string[] = [];
  const run: HostedRun = {
    jobId: 'job-1',
    attempt,
    request,
    params: resolveTierParams('animatediff', {}),
    signal: controller.signal,
    workDir,
    progress: () => undefined,
    saveProviderJobId: async (id) => void saved.push(id),
    recordCost: async (total) => void recorded.push(total),
    referenceImage: async () => null,
    recordSegment: () => Promise.reject(new Error('Replicate records no segments')),
    invocationStartedAtMs: Date.now(),
    handOff: () => Promise.reject(new Error('Replicate hands nothing on')),
  };
  return { run, recorded, saved, controller };
}

describe('ReplicateProvider against the Replicate simulator: what every end costs', () => {
  let sim: ReplicateSimulator;
  let workDir: string;
  const provider = (timeoutMs = 60_000) =>
    new ReplicateProvider({
      token: TOKEN,
      baseUrl: sim.apiUrl,
      models: { animatediff: { kind: 'version', version: ANIMATEDIFF_SIM_VERSION, model: null } },
      pollMs: 25,
      timeoutMs,
      costPerSecond: { animatediff: USD_PER_SECOND },
      retry: { tries: 2, firstDelayMs: 10, maxDelayMs: 20 },
    });
  /** What the provider charges for a prediction: its predict_time at the price, to a millionth of a dollar. */
  const chargeOf = (id: string) => Math.round(predictTimeOf(id) * USD_PER_SECOND * 1e6) / 1e6;
  const cancelsOf = (id: string) => sim.state().cancelCalls.filter((call) => call.predictionId === id);
  const predictTimeOf = (id: string) => sim.state().predictions.find((p) => p.prediction.id === id)!.prediction.metrics.predict_time ?? 0;

  beforeAll(async () => {
    sim = await createReplicateSimulator({ token: TOKEN, startMs: 20, predictMs: 300, logsIntervalMs: 60, scale: 0.25, logLevel: 'silent' });
    workDir = await mkdtemp(join(tmpdir(), 'replicate-provider-'));
  });
  afterEach(() => sim.clearScript());
  afterAll(async () => {
    await sim.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('a success costs its predict_time, recorded before the video is downloaded', async () => {
    const { run, recorded, saved } = hostedRun('a paper crane', workDir);
    const result = await provider().run(run);
    const [id] = saved;
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.costUsd).toBe(chargeOf(id!));
    expect(recorded).toEqual([result.costUsd]);
    expect(cancelsOf(id!)).toEqual([]);
  });

  it('a failed prediction still records what it ran for', async () => {
    sim.script({ outcome: 'failed', promptContains: 'too big' });
    const { run, recorded, saved } = hostedRun('too big to fit', workDir);
    await expect(provider().run(run)).rejects.toMatchObject({ code: 'gpu_out_of_memory' });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toBeGreaterThan(0);
    expect(recorded[0]).toBe(chargeOf(saved[0]!));
  });

  it('past the deadline it cancels the prediction, and records the canceled prediction\'s time', async () => {
    sim.script({ outcome: 'never_finishes', promptContains: 'endless' });
    const { run, recorded, saved } = hostedRun('an endless staircase', workDir);
    const error = await provider(400).run(run).catch((caught: unknown) => caught);
    expect(JobError.is(error, 'provider_timeout')).toBe(true);
    const [id] = saved;
    expect(cancelsOf(id!)).toEqual([expect.objectContaining({ statusBefore: 'processing', statusAfter: 'canceled' })]);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toBeGreaterThan(0);
    expect(recorded[0]).toBe(chargeOf(id!));
  });

  it('a stopped run (cancel, lost lease) cancels its prediction at once; abandon then reads the final charge', async () => {
    sim.script({ outcome: 'never_finishes', promptContains: 'cancelled' });
    const { run, saved, controller } = hostedRun('cancelled mid-way', workDir);
    const running = provider().run(run).catch((caught: unknown) => caught);
    for (let i = 0; i < 100 && sim.state().predictions.find((p) => p.prediction.id === saved[0])?.prediction.status !== 'processing'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort(new RunStopped('cancelled'));
    expect(await running).toBeInstanceOf(RunStopped);
    const id = saved[0]!;
    for (let i = 0; i < 100 && cancelsOf(id).length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelsOf(id)).toEqual([expect.objectContaining({ statusBefore: 'processing', statusAfter: 'canceled' })]);

    const abandoned = await provider().abandon(id, 'animatediff');
    expect(abandoned).toEqual({ status: 'canceled', final: true, costUsd: expect.any(Number) });
    expect(abandoned.costUsd).toBeGreaterThan(0);
    expect(abandoned.costUsd).toBe(chargeOf(id));
    // Already canceled: abandon sends no second cancel.
    expect(cancelsOf(id)).toHaveLength(1);
  });

  it('a resumed run (its invocation died) follows the saved prediction and creates none', async () => {
    const first = hostedRun('a prediction to resume', workDir, new AbortController());
    first.run.saveProviderJobId = async (id) => {
      first.saved.push(id);
      // The invocation dies right after saving the id.
      throw new RunStopped('lease_lost');
    };
    await expect(provider().run(first.run)).rejects.toBeInstanceOf(RunStopped);
    const id = first.saved[0]!;
    const predictions = sim.state().predictions.length;

    const resumed = hostedRun('a prediction to resume', workDir, new AbortController(), id);
    const result = await provider().run(resumed.run);

    expect(sim.state().predictions).toHaveLength(predictions);
    expect(resumed.saved).toEqual([]);
    expect(result.costUsd).toBe(chargeOf(id));
    expect(cancelsOf(id)).toEqual([]);
  });

  it('abandon cancels a prediction still running (its runner died) and reads what it cost', async () => {
    sim.script({ outcome: 'never_finishes', promptContains: 'orphan' });
    const client = (await import('replicate')).default;
    const replicate = new client({ auth: TOKEN, baseUrl: sim.apiUrl });
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'an orphaned prediction' } });
    for (let i = 0; i < 100 && (await replicate.predictions.get(created.id)).status !== 'processing'; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const abandoned = await provider().abandon(created.id, 'animatediff');
    expect(abandoned.status).toBe('canceled');
    expect(abandoned.final).toBe(true);
    expect(abandoned.costUsd).toBeGreaterThan(0);
    expect(cancelsOf(created.id)).toHaveLength(1);
  });
});
