import path from 'node:path';
import Replicate, { parseProgressFromLogs, type Prediction } from 'replicate';
import { ANIMATEDIFF_SIM_VERSION, PredictionSchema, SVD_SIM_VERSION, type ReplicateSimulator } from '../src/simulators';
import { probeVideo } from './support/probe';
import { client, download, settle, startReplicate } from './support/replicate';
import { tempDir } from './support/veo';
import { rejection, until } from './support/wait';

const IMAGE = 'https://example.com/first-frame.png';

describe('Replicate simulator driven by the real replicate client', () => {
  let sim: ReplicateSimulator;
  let replicate: Replicate;
  let downloads: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    sim = await startReplicate({ models: { 'sim/official-svd': 'svd' } });
    replicate = client(sim);
    downloads = await tempDir();
  });

  afterEach(() => {
    sim.clearScript();
  });

  afterAll(async () => {
    await sim.close();
    await downloads.remove();
  });

  it('SVD: starting → processing with tqdm progress in the logs → succeeded with a real MP4', async () => {
    const created = await replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: IMAGE, video_length: '25_frames_with_svd_xt', frames_per_second: 9 } });
    expect(PredictionSchema.parse(created)).toMatchObject({
      status: 'starting',
      version: SVD_SIM_VERSION,
      model: 'stability-ai/stable-video-diffusion',
      output: null,
      logs: '',
      started_at: null,
      urls: { get: `${sim.apiUrl}/predictions/${created.id}`, cancel: `${sim.apiUrl}/predictions/${created.id}/cancel` },
    });
    expect(created.id).toMatch(/^[a-z2-7]{26}$/);

    const seen: Prediction[] = [];
    const done = await settle(replicate, created, seen);
    const processing = seen.filter((prediction) => prediction.status === 'processing' && /\d+\/25/.test(prediction.logs ?? ''));
    expect(processing.length).toBeGreaterThan(0);
    expect(parseProgressFromLogs(processing[0]!)).toMatchObject({ total: 25 });
    expect(done.logs).toContain(' 100%|██████████| 25/25 [');
    expect(PredictionSchema.parse(done)).toMatchObject({ status: 'succeeded', error: null, output: `${sim.url}/files/${created.id}.mp4` });
    expect(done.metrics?.predict_time).toBeGreaterThan(0.15);
    expect(Date.parse(done.completed_at!)).toBeGreaterThanOrEqual(Date.parse(done.started_at!));

    const file = path.join(downloads.dir, 'svd.mp4');
    await download(done.output as string, file);
    const probe = await probeVideo(file);
    // cog-svd writes its MP4 at frames_per_second + 1.
    expect(probe).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 256, height: 144, fps: 10, frames: 25 });
    expect(probe.durationSeconds).toBeCloseTo(2.5, 1);
  });

  it('AnimateDiff through replicate.run (Prefer: wait): 512x512 (scaled), 16 frames at 8 fps', async () => {
    const output = await replicate.run(`lucataco/animate-diff:${ANIMATEDIFF_SIM_VERSION}`, { input: { prompt: 'a paper boat', steps: 10 } });
    expect(output).toMatch(new RegExp(`^${sim.url}/files/[a-z2-7]{26}\\.mp4$`));
    const file = path.join(downloads.dir, 'animatediff.mp4');
    await download(output as unknown as string, file);
    const probe = await probeVideo(file);
    expect(probe).toMatchObject({ codec: 'h264', width: 128, height: 128, fps: 8, frames: 16 });
    expect(probe.durationSeconds).toBeCloseTo(2, 1);
  });

  it('cancels a running prediction', async () => {
    sim.script({ outcome: 'never_finishes' });
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'never done' } });
    await until('processing', async () => (await replicate.predictions.get(created.id)).status === 'processing');
    const canceled = await replicate.predictions.cancel(created.id);
    expect(canceled).toMatchObject({ status: 'canceled', output: null });
    expect(canceled.completed_at).toEqual(expect.any(String));
    expect((await replicate.predictions.get(created.id)).status).toBe('canceled');
    expect((await replicate.predictions.cancel(created.id)).status).toBe('canceled');
  });

  it('a canceled prediction bills the time it ran, and every cancel call is logged', async () => {
    sim.script({ outcome: 'never_finishes' });
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'billed until canceled' } });
    await until('processing', async () => (await replicate.predictions.get(created.id)).status === 'processing');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const canceled = await replicate.predictions.cancel(created.id);
    expect(canceled.metrics?.predict_time).toBeGreaterThanOrEqual(0.15);
    await replicate.predictions.cancel(created.id);
    const calls = sim.state().cancelCalls.filter((call) => call.predictionId === created.id);
    expect(calls).toEqual([
      { at: expect.any(String), predictionId: created.id, statusBefore: 'processing', statusAfter: 'canceled', predictTime: canceled.metrics?.predict_time },
      { at: expect.any(String), predictionId: created.id, statusBefore: 'canceled', statusAfter: 'canceled', predictTime: canceled.metrics?.predict_time },
    ]);
  });

  it('a create answered late (answerDelayMs): the prediction already runs before its caller learns the id', async () => {
    sim.script({ outcome: 'never_finishes', promptContains: 'answered late', answerDelayMs: 600 });
    const started = Date.now();
    const creating = replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'answered late' } });
    const recordOf = () => sim.state().predictions.find((p) => JSON.stringify(p.prediction.input).includes('answered late'));
    await until('processing before the answer', async () => recordOf()?.prediction.status === 'processing');
    const created = await creating;
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(created.id).toBe(recordOf()!.prediction.id);
    expect((await replicate.predictions.cancel(created.id)).status).toBe('canceled');
  });

  it('a prediction canceled before it started bills nothing', async () => {
    const slow = await startReplicate({ startMs: 5_000 });
    try {
      const early = client(slow);
      const created = await early.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'never ran' } });
      const canceled = await early.predictions.cancel(created.id);
      expect(canceled).toMatchObject({ status: 'canceled', started_at: null });
      expect(canceled.metrics?.predict_time).toBeUndefined();
      expect(slow.state().cancelCalls).toEqual([expect.objectContaining({ statusBefore: 'starting', predictTime: null })]);
    } finally {
      await slow.close();
    }
  });

  it('failed: status failed with a CUDA OOM error and a traceback in the logs', async () => {
    sim.script({ outcome: 'failed', promptContains: 'too big' });
    const done = await settle(replicate, await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'too big to fit' } }));
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^CUDA out of memory\./);
    expect(done.logs).toContain('Traceback (most recent call last):');
    expect(done.output).toBeNull();
    expect((await fetch(`${sim.url}/files/${done.id}.mp4`)).status).toBe(404);
  });

  it('aborted: ends aborted without ever starting (replicate.wait would keep polling it)', async () => {
    sim.script({ outcome: 'aborted' });
    const done = await settle(replicate, await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'too late' } }));
    expect(done).toMatchObject({ status: 'aborted', started_at: null, output: null, logs: '' });
    expect(done.completed_at).toEqual(expect.any(String));
  });

  it('429 on create: the client retries by itself, at once, ignoring Retry-After; six in a row reach the caller as ApiError', async () => {
    const before = sim.state().counters;
    sim.script({ outcome: 'rate_limited_then_success', times: 2 });
    const started = Date.now();
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'throttled' } });
    expect(Date.now() - started).toBeLessThan(900);
    expect(created.status).toBe('starting');
    const after = sim.state().counters;
    expect([after.rateLimited - before.rateLimited, after.createRequests - before.createRequests]).toEqual([2, 3]);

    sim.script({ outcome: 'rate_limited_then_success', times: 6 });
    const error = await rejection(replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'throttled' } }));
    const response = error.response as Response;
    expect([error.name, response.status, response.headers.get('retry-after')]).toEqual(['ApiError', 429, '1']);
    expect(error.message).toContain('{"detail":"Request was throttled. Expected available in 1 second.","status":429}');
    expect(sim.state().counters.rateLimited - after.rateLimited).toBe(6);
  });

  it('server_error: 500 on GET, retried by the client up to 6 tries', async () => {
    sim.script({ outcome: 'server_error', times: 2 });
    const first = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'flaky' } });
    expect((await replicate.predictions.get(first.id)).id).toBe(first.id);
    sim.script({ outcome: 'server_error', times: 6 });
    const second = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'flaky' } });
    const error = await rejection(replicate.predictions.get(second.id));
    expect((error.response as Response).status).toBe(500);
    expect((await settle(replicate, second)).status).toBe('succeeded');
  });

  it('refuses a bad token, an unknown version, bad input, a non-loopback webhook and community models by name', async () => {
    const status = async (promise: Promise<unknown>) => {
      const error = await rejection(promise);
      const response = error.response as Response;
      return { status: response.status, body: JSON.parse(String(error.message).replace(/^[^{]*/, '').replace(/\.$/, '')) as Record<string, unknown> };
    };
    expect(await status(client(sim, 'nope').predictions.get('x'))).toEqual({ status: 401, body: { detail: 'Invalid token.' } });
    expect((await fetch(`${sim.apiUrl}/predictions`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect(await status(replicate.predictions.create({ version: 'f'.repeat(64), input: {} }))).toMatchObject({ status: 422, body: { title: 'Invalid version or not permitted' } });
    expect(await status(replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: IMAGE, frames_per_second: 50 } }))).toMatchObject({
      status: 422,
      body: { title: 'Input validation failed', invalid_fields: [{ field: 'input.frames_per_second' }] },
    });
    expect(await status(replicate.predictions.create({ version: SVD_SIM_VERSION, input: {} }))).toMatchObject({ status: 422, body: { invalid_fields: [{ field: 'input.input_image' }] } });
    expect(await status(replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: IMAGE }, webhook: 'https://example.com/hook' }))).toMatchObject({ status: 422 });
    expect(await status(replicate.predictions.create({ model: 'lucataco/animate-diff', input: { prompt: 'x' } }))).toMatchObject({ status: 404 });
    expect(await status(replicate.predictions.get('doesnotexist'))).toEqual({ status: 404, body: { detail: 'Not found.' } });
  });

  it('creates by model name for models configured as official', async () => {
    const created = await replicate.predictions.create({ model: 'sim/official-svd', input: { input_image: IMAGE } });
    expect(created).toMatchObject({ model: 'sim/official-svd', version: SVD_SIM_VERSION, status: 'starting' });
    expect((await settle(replicate, created)).status).toBe('succeeded');
  });

  it('streams logs, output and done as server-sent events at urls.stream', async () => {
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'stream me', steps: 5 } });
    const text = await (await fetch(created.urls.stream!)).text();
    expect(text).toMatch(/event: logs\nid: 1\ndata: Using seed: \d+/);
    expect(text).toContain(`event: output\nid: `);
    expect(text).toContain(`data: ${sim.url}/files/${created.id}.mp4`);
    expect(text.trimEnd()).toMatch(/event: done\nid: \d+\ndata: \{\}$/);
  });

  it('lists what it saw in /sim/state', async () => {
    const state = (await (await fetch(`${sim.url}/sim/state`)).json()) as ReturnType<ReplicateSimulator['state']>;
    expect(state.simulator).toBe('replicate-sim');
    expect(state.predictions.length).toBeGreaterThan(5);
    expect(state.requests.some((request) => request.method === 'POST' && request.path === '/v1/predictions' && request.status === 201)).toBe(true);
    expect(state.counters.authFailures).toBeGreaterThan(0);
  });
});
