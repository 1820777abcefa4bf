import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, JobError, resolveTierParams, type Attempt } from '@vidgen/contract';
import { createVeoSimulator, type VeoSimulator } from '../../provider-sims/src/simulators';
import type { HostedRun } from '../src/providers/hosted-provider';
import { VeoProvider } from '../src/providers/veo';

const KEY = 'test-key';

/** A run of a Veo attempt for a clip of `durationSeconds`, as runUnderLease gives it. */
function veoRun(durationSeconds: number, workDir: string): HostedRun {
  const request = { prompt: 'a lighthouse at dusk', model: 'veo' as const, durationSeconds };
  const job = createJob({ ownerUid: 'u', request, plan: ['veo'], now: new Date() }).job;
  const attempt: Attempt = { ...job.attempt!, backend: 'gemini', state: 'running' };
  return {
    jobId: 'job-1',
    attempt,
    request,
    params: resolveTierParams('veo', request),
    signal: new AbortController().signal,
    workDir,
    progress: () => undefined,
    saveProviderJobId: () => Promise.reject(new Error('nothing may be started')),
    recordCost: () => Promise.reject(new Error('nothing may be paid')),
    referenceImage: async () => null,
    recordSegment: () => Promise.reject(new Error('nothing may be recorded')),
    invocationStartedAtMs: Date.now(),
    handOff: () => Promise.reject(new Error('nothing to hand on')),
  };
}

describe('VeoProvider with a model that cannot extend', () => {
  let sim: VeoSimulator;
  let workDir: string;

  beforeAll(async () => {
    sim = await createVeoSimulator({ apiKey: KEY, latencyMs: 50, logLevel: 'silent' });
    workDir = await mkdtemp(join(tmpdir(), 'veo-provider-'));
  });
  afterAll(async () => {
    await sim.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('ends a clip that needs extensions before calling Veo, naming the model', async () => {
    const provider = new VeoProvider({
      apiKey: KEY,
      model: 'veo-3.0-generate-001',
      baseUrl: sim.url,
      pollMs: 20,
      timeoutMs: 10_000,
      costPerSecond: 0.4,
      retry: { tries: 1, firstDelayMs: 10, maxDelayMs: 10 },
      invocationBudgetMs: 60_000,
    });
    const failure = await provider.run(veoRun(30, workDir)).then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(JobError);
    expect(failure).toMatchObject({ code: 'tier_unavailable', message: expect.stringContaining('VEO_MODEL veo-3.0-generate-001 cannot extend') });
    expect(sim.state().operations).toEqual([]);
    expect(sim.state().requests).toEqual([]);
  });
});
