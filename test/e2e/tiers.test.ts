import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simControl } from '../support/comfy-sim';
import { downloadAndProbe } from '../support/media';
import { killFunctionRuntimes } from '../support/functions-runtime';
import { clearProviderScripts, providerState, scriptProvider } from '../support/provider-sims';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);

/**
 * Makes ComfyUI run out of memory on graphs whose prompt mentions the marker; with `node`, only in
 * that node (ComfyUI caches unchanged nodes between prompts, so the cache is dropped first).
 */
async function oomOnComfy(marker: string, node?: string) {
  if (node) await simControl('/free', { unload_models: true, free_memory: true });
  await simControl('/sim/faults', { kind: 'oom', promptContains: marker, times: 5, ...(node ? { node } : {}) });
}

describe('three tiers with automatic fallback', () => {
  let user: WebUser;
  const dir = mkdtempSync(join(tmpdir(), 'vidgen-tiers-'));
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterEach(async () => {
    await clearProviderScripts();
    await simControl('/sim/faults', undefined, 'DELETE');
  });
  afterAll(() => user.close());

  async function run(input: Record<string, unknown>) {
    const { jobId } = await user.createVideoJob(input);
    const watch = watchJob(user, jobId);
    const done = await watch.until(isTerminalJob, 100_000);
    watch.stop();
    return { jobId, done, snapshots: watch.snapshots };
  }

  it('makes a Veo video end to end, costed per second of video', async () => {
    const { done, snapshots } = await run({ prompt: `a hot air balloon ${randomUUID()}`, model: 'veo', durationSeconds: 4 });
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toEqual([expect.objectContaining({ tier: 'veo', backend: 'gemini', outcome: 'succeeded', workerId: 'functions:gemini' })]);
    expect(done.attempts[0].costUsd).toBeCloseTo(4 * 0.4, 6);
    expect(done.costUsd).toBeCloseTo(1.6, 6);
    expect(snapshots.some((s) => s.state === 'running' && s.progress.stage === 'sampling')).toBe(true);
    const video = await downloadAndProbe(done.output.downloadUrl, join(dir, 'veo.mp4'));
    expect(video.probe.codec).toBe('h264');
    expect(video.probe.width / video.probe.height).toBeCloseTo(16 / 9, 1);
    expect(done.output.durationSeconds).toBeCloseTo(4, 0);
  });

  it('retries Veo after a 429 within the same attempt', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'rate_limited_then_success' });
    const { done } = await run({ prompt: `a tram in the rain ${marker}`, model: 'veo', durationSeconds: 4 });
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
  });

  it('chains Veo extensions for a longer clip, one segment at a time', async () => {
    const { done, snapshots } = await run({ prompt: `a long drive along the coast ${randomUUID()}`, model: 'veo', durationSeconds: 15 });
    expect(done.state).toBe('succeeded');
    const segments = snapshots.filter((s) => s.progress.stage === 'sampling').map((s) => `${s.progress.step}/${s.progress.totalSteps}`);
    expect(segments).toContain('2/2');
    expect(done.output.durationSeconds).toBeCloseTo(15, 0);
    expect(done.attempts[0].costUsd).toBeCloseTo(15 * 0.4, 6);
  });

  it('a long Veo chain survives its runner being killed mid-chain: exact length, each segment paid once', async () => {
    const marker = randomUUID();
    const { jobId } = await user.createVideoJob({ prompt: `a river journey ${marker}`, model: 'veo', durationSeconds: 30 });
    const watch = watchJob(user, jobId);
    await watch.until((job) => (job.attempt?.segments?.length ?? 0) >= 2 && job.attempt?.state === 'running', 120_000);
    expect(killFunctionRuntimes().length).toBeGreaterThan(0);
    const done = await watch.until(isTerminalJob, 200_000);
    watch.stop();
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    // 8 s generated, then 4 extensions of 7 s: 36 s made and paid once, trimmed to the 30 s asked for.
    expect(done.attempts[0].costUsd).toBeCloseTo(36 * 0.4, 6);
    expect(done.output.durationSeconds).toBeCloseTo(30, 0);
    const operations = (await providerState('veo')).operations as Array<{ prompt: string; extends: string | null }>;
    const ours = operations.filter((op) => op.prompt.includes(marker));
    expect(ours).toHaveLength(5);
    expect(ours.filter((op) => op.extends === null)).toHaveLength(1);
    const video = await downloadAndProbe(done.output.downloadUrl, join(dir, 'veo-chain.mp4'));
    expect(video.probe).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
  }, 330_000);

  it('a Veo prompt refused at submit time by the safety filters is safety_filtered, and auto moves on', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'safety_refused' });
    const { done } = await run({ prompt: `a refused scene ${marker}`, model: 'auto', durationSeconds: 4 });
    expect(done.attempts[0]).toMatchObject({ tier: 'veo', outcome: 'failed', error: expect.objectContaining({ code: 'safety_filtered' }) });
    expect(done.attempts[1]?.tier).toBe('animatediff');
  });

  it('auto: Veo withheld by its safety filter falls to AnimateDiff', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'safety_filtered' });
    const { done } = await run({ prompt: `a busy market ${marker}` });
    expect(done.state).toBe('succeeded');
    expect(done.plan).toEqual(['veo', 'animatediff', 'svd']);
    expect(done.attempts.map((a: { tier: string; outcome: string }) => `${a.tier}:${a.outcome}`)).toEqual(['veo:failed', 'animatediff:succeeded']);
    expect(done.attempts[0].error).toMatchObject({ code: 'safety_filtered', retryable: false });
    expect(done.output).toMatchObject({ width: 512, height: 512, frameCount: 24 });
  });

  it('auto: AnimateDiff out of GPU memory falls to SVD (text only: an SDXL still first)', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'safety_filtered' });
    await oomOnComfy(marker, 'ADE_AnimateDiffLoaderGen1');
    const { done } = await run({ prompt: `${marker} a harbour at night` });
    expect(done.attempts.map((a: { tier: string; outcome: string }) => `${a.tier}:${a.outcome}`)).toEqual(['veo:failed', 'animatediff:failed', 'svd:succeeded']);
    expect(done.attempts[1].error.code).toBe('gpu_out_of_memory');
    expect(done.state).toBe('succeeded');
    expect(done.output).toMatchObject({ width: 1024, height: 576, frameCount: 25 });
  });

  it('auto: every tier failing ends failed, with every attempt recorded', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'safety_filtered' });
    await oomOnComfy(marker);
    const { done } = await run({ prompt: `${marker} a stormy sea` });
    expect(done.state).toBe('failed');
    expect(done.attempts.map((a: { tier: string; outcome: string }) => `${a.tier}:${a.outcome}`)).toEqual(['veo:failed', 'animatediff:failed', 'svd:failed']);
    expect(done.error.code).toBe('gpu_out_of_memory');
    expect(done.output).toBeNull();
  });

  it('a named tier never falls over to another', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'safety_filtered' });
    const { done } = await run({ prompt: `a crowded stadium ${marker}`, model: 'veo', durationSeconds: 4 });
    expect(done.state).toBe('failed');
    expect(done.plan).toEqual(['veo']);
    expect(done.attempts).toHaveLength(1);
    expect(done.error.code).toBe('safety_filtered');
  });

  it('a bad request to Veo is final', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'bad_request' });
    const { done } = await run({ prompt: `${marker} a glass city` });
    expect(done.state).toBe('failed');
    expect(done.attempts).toHaveLength(1);
    expect(done.error).toMatchObject({ code: 'provider_bad_request', retryable: false });
  });

  it('discards a Veo result that arrives after the job was cancelled', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'success', latencyMs: 3000 });
    const { jobId } = await user.createVideoJob({ prompt: `${marker} a slow sunrise`, model: 'veo', durationSeconds: 4 });
    const watch = watchJob(user, jobId);
    await watch.until((job) => job.state === 'running' && Boolean(job.attempt?.providerJobId));
    expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
    const cancelled = await watch.until((job) => job.state === 'cancelled');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    watch.stop();
    const last = watch.snapshots.at(-1)!;
    expect(last.state).toBe('cancelled');
    expect(last.output).toBeNull();
    expect(last.updatedAt.toMillis()).toBe(cancelled.updatedAt.toMillis());
  });
});
