import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, JobError, resolveTierParams, type Attempt, type Segment } from '@vidgen/contract';
import { RunStopped } from '@vidgen/runner';
import { createVeoSimulator, type VeoSimulator } from '../../provider-sims/src/simulators';
import type { HostedRun } from '../src/providers/hosted-provider';
import { VeoProvider, type VeoConfig } from '../src/providers/veo';

jest.setTimeout(30_000);

const KEY = 'test-key';
const MODEL = 'veo-3.1-generate-preview';
const USD_PER_SECOND = 0.4;
/** Under Jest the SDK needs a fetch of its own (see provider-sims/README.md). */
const jestFetch = (...args: Parameters<typeof fetch>) => fetch(...args);

interface RunLog {
  run: HostedRun;
  saved: string[];
  costs: number[];
  segments: Segment[];
  handedOff: boolean;
  controller: AbortController;
}

/** A run context as the hosted runner gives it, its fenced writes kept in memory. */
function hostedRun(workDir: string, durationSeconds: number, from: Partial<Pick<Attempt, 'providerJobId' | 'segments'>> = {}, prompt = 'a lighthouse at dusk'): RunLog {
  const request = { prompt, model: 'veo' as const, durationSeconds };
  const job = createJob({ ownerUid: 'u', request, plan: ['veo'], now: new Date() }).job;
  const attempt: Attempt = { ...job.attempt!, backend: 'gemini', state: 'running', providerJobId: from.providerJobId ?? null, segments: from.segments ?? [] };
  const controller = new AbortController();
  const log: RunLog = { saved: [], costs: [], segments: [...(from.segments ?? [])], handedOff: false, controller, run: undefined as unknown as HostedRun };
  log.run = {
    jobId: 'job-1',
    attempt,
    request,
    params: resolveTierParams('veo', request),
    signal: controller.signal,
    workDir,
    progress: () => undefined,
    saveProviderJobId: async (id) => void log.saved.push(id),
    recordCost: async (total) => void log.costs.push(total),
    referenceImage: async () => null,
    recordSegment: async (segment) => {
      const recorded = { ...segment, completedAt: new Date() };
      log.segments.push(recorded);
      return recorded;
    },
    invocationStartedAtMs: Date.now(),
    handOff: async () => {
      log.handedOff = true;
      throw new RunStopped('handed_off');
    },
  };
  return log;
}

/**
 * VeoProvider against the Veo simulator's real HTTP: a chained clip is paid for segment by segment,
 * and a resumed run goes on from what was recorded, never paying for a segment twice.
 */
describe('VeoProvider against the Veo simulator', () => {
  let sim: VeoSimulator;
  let workDir: string;

  beforeAll(async () => {
    sim = await createVeoSimulator({ apiKey: KEY, latencyMs: 60, scale: 0.125, logLevel: 'silent' });
    workDir = await mkdtemp(join(tmpdir(), 'veo-provider-'));
  });
  afterEach(() => sim.clearScript());
  afterAll(async () => {
    await sim.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const provider = (overrides: Partial<VeoConfig> = {}) =>
    new VeoProvider({
      apiKey: KEY,
      model: MODEL,
      baseUrl: sim.url,
      pollMs: 20,
      timeoutMs: 10_000,
      costPerSecond: USD_PER_SECOND,
      retry: { tries: 3, firstDelayMs: 10, maxDelayMs: 20 },
      invocationBudgetMs: 60_000,
      fetch: jestFetch,
      ...overrides,
    });
  /** The operations the simulator started for prompts containing `prompt`. */
  const operationsFor = (prompt: string) => sim.state().operations.filter((operation) => operation.prompt === prompt);

  it('pays for a 15 s clip segment by segment; a run resumed after a hand-off pays only for what is left, and one resumed when all is paid only downloads', async () => {
    const prompt = 'fifteen seconds of surf';
    const first = hostedRun(workDir, 15, {}, prompt);
    // The generation is recorded a minute into the invocation: no room left for another segment.
    const record = first.run.recordSegment;
    first.run.recordSegment = async (segment) => {
      first.run.invocationStartedAtMs -= 60_000;
      return record(segment);
    };
    const error = await provider({ timeoutMs: 5000, invocationBudgetMs: 60_000 }).run(first.run).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RunStopped);
    expect(first.handedOff).toBe(true);
    expect(first.segments.map((segment) => [segment.seconds, segment.costUsd])).toEqual([[8, 3.2]]);
    expect(first.costs).toEqual([3.2]);
    expect(operationsFor(prompt)).toHaveLength(1);

    const second = hostedRun(workDir, 15, { providerJobId: first.segments[0]!.operation, segments: first.segments }, prompt);
    const result = await provider().run(second.run);
    const operations = operationsFor(prompt);
    // One generation and one extension of its video in all: the resumed run started only the extension.
    expect(operations).toHaveLength(2);
    expect(operations[1]!.extends).toBe(operations[0]!.files[0]!.id);
    expect(second.saved).toEqual([operations[1]!.name]);
    expect(second.segments.map((segment) => [segment.seconds, segment.costUsd])).toEqual([[8, 3.2], [15, 2.8]]);
    expect(second.costs).toEqual([6]);
    expect(result).toMatchObject({ costUsd: 6, keepAudio: true });
    expect(result.trimToSeconds).toBeUndefined();
    expect((await stat(result.videoFile)).size).toBeGreaterThan(0);

    const third = hostedRun(workDir, 15, { providerJobId: operations[1]!.name, segments: second.segments }, prompt);
    expect(await provider().run(third.run)).toMatchObject({ costUsd: 6 });
    expect(operationsFor(prompt)).toHaveLength(2);
    expect(third.segments).toHaveLength(2);
  });

  /** A run whose segment write is refused (its lease was lost): it stops before anything more is paid for or downloaded. */
  function stopAtFirstSegment(log: RunLog): void {
    const record = log.run.recordSegment;
    log.run.recordSegment = async (segment) => {
      await record(segment);
      throw new RunStopped('lease_lost');
    };
  }

  it('follows an operation started by a run that died before recording it, rather than paying for it again', async () => {
    const prompt = 'an operation in flight';
    // Started over the Gemini API's REST route, as the first runner's client did.
    const response = await fetch(`${sim.url}/v1beta/models/${MODEL}:predictLongRunning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
      body: JSON.stringify({ instances: [{ prompt }], parameters: { durationSeconds: 8, sampleCount: 1 } }),
    });
    const started = (await response.json()) as { name: string };
    const log = hostedRun(workDir, 15, { providerJobId: started.name }, prompt);
    stopAtFirstSegment(log);

    expect(await provider().run(log.run).catch((caught: unknown) => caught)).toBeInstanceOf(RunStopped);

    expect(operationsFor(prompt)).toHaveLength(1);
    expect(log.saved).toEqual([]);
    expect(log.segments).toEqual([expect.objectContaining({ operation: started.name, seconds: 8, costUsd: 3.2 })]);
  });

  it.each([
    ['operation_error', 'provider_failed'],
    ['safety_filtered', 'safety_filtered'],
    ['safety_refused', 'safety_filtered'],
    ['bad_request', 'provider_bad_request'],
  ] as const)('a %s from Veo fails the run as %s, with nothing recorded as paid', async (outcome, code) => {
    const prompt = `failing with ${outcome}`;
    sim.script({ outcome, promptContains: prompt });
    const log = hostedRun(workDir, 8, {}, prompt);
    const error = await provider().run(log.run).catch((caught: unknown) => caught);
    expect(JobError.is(error, code)).toBe(true);
    expect(log.segments).toEqual([]);
    expect(log.costs).toEqual([]);
  });

  it('retries a rate-limited start and goes on until a refused write stops it', async () => {
    const prompt = 'rate limited once';
    sim.script({ outcome: 'rate_limited_then_success', promptContains: prompt, times: 1 });
    const log = hostedRun(workDir, 15, {}, prompt);
    stopAtFirstSegment(log);
    expect(await provider().run(log.run).catch((caught: unknown) => caught)).toBeInstanceOf(RunStopped);
    expect(log.segments).toEqual([expect.objectContaining({ seconds: 8 })]);
    // A refused segment write stops the chain: no extension is started.
    expect(operationsFor(prompt)).toHaveLength(1);
  });

  it('stops following when the run is stopped, and starts no segment after', async () => {
    const prompt = 'cancelled while generating';
    sim.script({ outcome: 'never_finishes', promptContains: prompt });
    const log = hostedRun(workDir, 15, {}, prompt);
    const running = provider().run(log.run).catch((caught: unknown) => caught);
    for (let i = 0; i < 100 && log.saved.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    log.controller.abort(new RunStopped('cancelled'));
    // The runner reads why from its signal; what matters here is that the run ends and pays for nothing more.
    expect(await running).toBeInstanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(operationsFor(prompt)).toHaveLength(1);
    expect(log.segments).toEqual([]);
  });

  it('starts nothing when the segment to extend is older than Veo keeps its videos', async () => {
    const prompt = 'too old to extend';
    const old: Segment = { operation: 'models/veo/operations/old', videoUri: `${sim.url}/v1beta/files/gone:download?alt=media`, seconds: 8, costUsd: 3.2, completedAt: new Date(Date.now() - 3 * 86_400_000) };
    const log = hostedRun(workDir, 15, { providerJobId: old.operation, segments: [old] }, prompt);
    const error = await provider().run(log.run).catch((caught: unknown) => caught);
    expect(JobError.is(error, 'provider_input_expired')).toBe(true);
    expect(operationsFor(prompt)).toHaveLength(0);
  });
});
