import type { GoogleGenAI } from '@google/genai';
import type { VeoSimulator } from '../src/simulators';
import { validateVideoRequest } from '../src/veo/veo-request';
import { VEO_MODELS } from '../src/veo/veo-models';
import { MODEL, client, finish, startVeo } from './support/veo';
import { rejection, sleep } from './support/wait';

describe('Veo simulator scripted outcomes, seen through @google/genai', () => {
  let sim: VeoSimulator;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    sim = await startVeo({ latencyMs: 100 });
    ai = client(sim);
  });

  afterEach(() => {
    sim.clearScript();
  });

  afterAll(async () => {
    await sim.close();
  });

  const generate = (prompt: string, sdk: GoogleGenAI = ai) => sdk.models.generateVideos({ model: MODEL, source: { prompt }, config: { durationSeconds: 4, aspectRatio: '16:9' } });

  it('rate_limited_then_success: 429 RESOURCE_EXHAUSTED as ApiError, then the next create works', async () => {
    sim.script({ outcome: 'rate_limited_then_success', promptContains: 'busy' });
    const error = await rejection(generate('a busy street'));
    expect(error.name).toBe('ApiError');
    expect(error.status).toBe(429);
    expect(JSON.parse(error.message)).toEqual({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } });
    const done = await finish(ai, await generate('a busy street'));
    expect(done.response?.generatedVideos).toHaveLength(1);
  });

  it('the SDK retries 429s itself only when httpOptions.retryOptions is set', async () => {
    sim.script({ outcome: 'rate_limited_then_success', times: 2, promptContains: 'retry' });
    const before = sim.state().counters.rateLimited;
    const retrying = client(sim, undefined, { retryOptions: { attempts: 3, initialDelay: 0.01, maxDelay: 0.02 } });
    const operation = await generate('retry please', retrying);
    expect(operation.name).toBeDefined();
    expect(sim.state().counters.rateLimited - before).toBe(2);
  });

  it('safety_filtered: done, no generatedVideos, raiMediaFilteredCount and reasons', async () => {
    sim.script({ outcome: 'safety_filtered', message: 'blocked for the test' });
    const done = await finish(ai, await generate('anything'));
    expect(done.error).toBeUndefined();
    expect(done.response?.generatedVideos).toBeUndefined();
    expect(done.response?.raiMediaFilteredCount).toBe(1);
    expect(done.response?.raiMediaFilteredReasons).toEqual(['blocked for the test']);
  });

  it('operation_error: done with error {code, message}', async () => {
    sim.script({ outcome: 'operation_error' });
    const done = await finish(ai, await generate('anything'));
    expect(done.response).toBeUndefined();
    expect(done.error).toEqual({ code: 13, message: expect.stringContaining('Video generation failed') as string });
  });

  it('safety_refused: 400 INVALID_ARGUMENT on create, its message naming the safety reason', async () => {
    sim.script({ outcome: 'safety_refused', promptContains: 'forbidden' });
    const error = await rejection(generate('a forbidden thing'));
    expect(error.status).toBe(400);
    expect(error.message).toContain('Responsible AI practices');
  });

  it('keeps a video only for its retention: then it can be neither downloaded nor extended', async () => {
    const brief = await startVeo({ latencyMs: 50, retentionMs: 400 });
    try {
      const sdk = client(brief);
      const done = await finish(sdk, await sdk.models.generateVideos({ model: MODEL, source: { prompt: 'a brief clip' }, config: { durationSeconds: 4 } }));
      const video = done.response!.generatedVideos![0]!.video!;
      await sleep(500);
      expect((await rejection(sdk.models.generateVideos({ model: MODEL, source: { prompt: 'more', video } }))).status).toBe(400);
      expect((await fetch(`${video.uri}&key=test-key`)).status).toBe(404);
    } finally {
      await brief.close();
    }
  });

  it('takes a realistic time per operation, scaled: 30 s + 8 s per second made', async () => {
    const scaled = await startVeo({ latencyMs: undefined, timeScale: 0.001 });
    try {
      const sdk = client(scaled);
      const started = Date.now();
      await finish(sdk, await sdk.models.generateVideos({ model: MODEL, source: { prompt: 'timed' }, config: { durationSeconds: 8 } }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    } finally {
      await scaled.close();
    }
  });

  it('never_finishes: polls keep answering not done', async () => {
    sim.script({ outcome: 'never_finishes' });
    const operation = await generate('forever');
    await sleep(250);
    const polled = await ai.operations.getVideosOperation({ operation });
    expect(polled.done).toBeFalsy();
    expect(sim.state().operations.find((op) => op.name === operation.name)).toMatchObject({ outcome: 'never_finishes', done: false, doneAt: null });
  });

  it('bad_request and server_error: ApiError 400 / 500 on create', async () => {
    sim.script({ outcome: 'bad_request', message: 'The prompt is too long.' });
    const bad = await rejection(generate('x'));
    expect([bad.status, JSON.parse(bad.message)]).toEqual([400, { error: { code: 400, message: 'The prompt is too long.', status: 'INVALID_ARGUMENT' } }]);
    sim.script({ outcome: 'server_error' });
    const failed = await rejection(generate('x'));
    expect([failed.status, (JSON.parse(failed.message) as { error: { status: string } }).error.status]).toEqual([500, 'INTERNAL']);
    expect((await generate('x')).name).toBeDefined();
  });

  it('a script entry applies to prompts containing promptContains, with its own latency', async () => {
    sim.script({ outcome: 'success', promptContains: 'slow', latencyMs: 60_000 });
    const slow = await generate('a slow one');
    const quick = await generate('a quick one');
    await finish(ai, quick);
    expect((await ai.operations.getVideosOperation({ operation: slow })).done).toBeFalsy();
  });

  it('the /sim/ control API scripts, lists, clears and reports over HTTP', async () => {
    const post = (body: unknown) => fetch(`${sim.url}/sim/script`, { method: 'POST', body: JSON.stringify(body) });
    const added = await post([{ outcome: 'safety_filtered', promptContains: 'cat' }, { outcome: 'operation_error', times: 2 }]);
    expect(added.status).toBe(200);
    expect(((await added.json()) as { script: unknown[] }).script).toHaveLength(2);
    const listed = (await (await fetch(`${sim.url}/sim/script`)).json()) as { script: Array<{ outcome: string; remaining: number }> };
    expect(listed.script.map(({ outcome, remaining }) => [outcome, remaining])).toEqual([['safety_filtered', 1], ['operation_error', 2]]);
    const refused = await post({ outcome: 'explode' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^outcome: /);
    expect(await (await fetch(`${sim.url}/sim/script`, { method: 'DELETE' })).json()).toEqual({ cleared: 2 });
    const state = (await (await fetch(`${sim.url}/sim/state`)).json()) as { simulator: string; counters: Record<string, number>; operations: unknown[] };
    expect(state.simulator).toBe('veo-sim');
    expect(state.counters.createRequests).toBeGreaterThan(0);
    expect(state.operations.length).toBe(sim.state().operations.length);
  });
});

describe('Veo extension limits', () => {
  const spec = VEO_MODELS[MODEL]!;
  const body = (uri: string) => ({ instances: [{ prompt: 'more', video: { uri } }], parameters: {} });
  const found = (durationSeconds: number) => () => ({ id: 'abc123', durationSeconds, aspectRatio: '16:9' as const, resolution: '720p' as const });

  it('adds 7 s to the input and caps the result at 148 s', () => {
    expect(validateVideoRequest(MODEL, spec, body('http://h/v1beta/files/abc123:download?alt=media'), found(141)).durationSeconds).toBe(148);
    expect(() => validateVideoRequest(MODEL, spec, body('files/abc123'), found(142))).toThrow(/at most 148 s/);
  });

  it('finds the file in Gemini-style https uris and in files/{id} names', () => {
    const seen: string[] = [];
    const lookup = (id: string) => (seen.push(id), found(8)());
    validateVideoRequest(MODEL, spec, body('https://generativelanguage.googleapis.com/v1beta/files/abc123:download?alt=media'), lookup);
    validateVideoRequest(MODEL, spec, body('files/abc123'), lookup);
    expect(seen).toEqual(['abc123', 'abc123']);
  });
});
