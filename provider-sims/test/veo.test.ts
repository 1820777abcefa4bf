import path from 'node:path';
import { GenerateVideosOperation, type GoogleGenAI } from '@google/genai';
import type { VeoSimulator } from '../src/simulators';
import { probeVideo } from './support/probe';
import { KEY, MODEL, client, finish, startVeo, tempDir } from './support/veo';
import { rejection } from './support/wait';

// Real-size clips (up to 1080x1920) take seconds to encode on a small machine.
jest.setTimeout(60_000);

describe('Veo simulator driven by the real @google/genai client', () => {
  let sim: VeoSimulator;
  let ai: GoogleGenAI;
  let downloads: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    sim = await startVeo();
    ai = client(sim);
    downloads = await tempDir();
  });

  afterAll(async () => {
    await sim.close();
    await downloads.remove();
  });

  it('generates, polls and downloads a real 4 s 16:9 H.264 clip', async () => {
    const operation = await ai.models.generateVideos({
      model: MODEL,
      source: { prompt: 'a lighthouse at dusk' },
      config: { durationSeconds: 4, aspectRatio: '16:9', numberOfVideos: 1, negativePrompt: 'rain' },
    });
    expect(operation).toBeInstanceOf(GenerateVideosOperation);
    expect(operation.name).toMatch(/^models\/veo-3\.1-generate-preview\/operations\/[a-z0-9]+$/);
    expect(operation.done).toBeUndefined();

    const first = await ai.operations.getVideosOperation({ operation });
    expect(first.done).toBeFalsy();
    const done = await finish(ai, first);
    expect(done.error).toBeUndefined();
    const videos = done.response?.generatedVideos ?? [];
    expect(videos).toHaveLength(1);
    expect(videos[0]!.video?.uri).toMatch(new RegExp(`^${sim.url}/v1beta/files/[a-z0-9]+:download\\?alt=media$`));

    const file = path.join(downloads.dir, 'lighthouse.mp4');
    await ai.files.download({ file: videos[0]!, downloadPath: file });
    const probe = await probeVideo(file);
    expect(probe).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 1280, height: 720, fps: 24, hasAudio: true });
    expect(probe.durationSeconds).toBeCloseTo(4, 1);

    const create = sim.state().requests.find((request) => request.method === 'POST');
    expect(create?.detail).toMatchObject({
      model: MODEL,
      instance: { prompt: 'a lighthouse at dusk' },
      parameters: { sampleCount: 1, durationSeconds: 4, aspectRatio: '16:9', negativePrompt: 'rain' },
    });
  });

  it('resumes an operation from its stored name', async () => {
    const { name } = await ai.models.generateVideos({ model: MODEL, source: { prompt: 'resume me' }, config: { durationSeconds: 4 } });
    const restored = new GenerateVideosOperation();
    restored.name = name;
    const done = await finish(client(sim), restored);
    expect(done.name).toBe(name);
    expect(done.response?.generatedVideos).toHaveLength(1);
  });

  it('makes portrait 1080p clips from an image and serves them to the key in ?key=', async () => {
    const operation = await ai.models.generateVideos({
      model: 'veo-3.1-fast-generate-preview',
      source: { prompt: 'a tall waterfall', image: { imageBytes: Buffer.from('not really a png').toString('base64'), mimeType: 'image/png' } },
      config: { durationSeconds: 8, aspectRatio: '9:16', resolution: '1080p', numberOfVideos: 1, personGeneration: 'allow_adult' },
    });
    const done = await finish(ai, operation);
    const uris = (done.response?.generatedVideos ?? []).map((video) => video.video?.uri ?? '');
    expect(uris).toHaveLength(1);
    const response = await fetch(`${uris[0]}&key=${KEY}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(downloads.dir, 'waterfall.mp4');
    await ai.files.download({ file: { uri: uris[0] }, downloadPath: file });
    const probe = await probeVideo(file);
    expect(probe).toMatchObject({ codec: 'h264', width: 1080, height: 1920, fps: 24 });
    expect(probe.durationSeconds).toBeCloseTo(8, 1);
    const state = sim.state().operations.find((op) => op.name === operation.name);
    expect(state?.instance).toMatchObject({ prompt: 'a tall waterfall', image: { bytesBase64Encoded: '<24 base64 chars>', mimeType: 'image/png' } });
  });

  it('extends a generated video by 7 s per call (Veo 3.1), taking source.video as the SDK sends it', async () => {
    const first = await finish(ai, await ai.models.generateVideos({ model: MODEL, source: { prompt: 'a fox runs' }, config: { durationSeconds: 4, aspectRatio: '9:16' } }));
    const firstVideo = first.response!.generatedVideos![0]!.video!;
    const extended = await finish(ai, await ai.models.generateVideos({ model: MODEL, source: { prompt: 'the fox jumps', video: firstVideo } }));
    const again = await finish(ai, await ai.models.generateVideos({ model: MODEL, source: { prompt: 'the fox lands', video: extended.response!.generatedVideos![0]!.video! } }));

    const file = path.join(downloads.dir, 'fox.mp4');
    await ai.files.download({ file: again.response!.generatedVideos![0]!, downloadPath: file });
    const probe = await probeVideo(file);
    expect(probe).toMatchObject({ codec: 'h264', width: 720, height: 1280 });
    expect(probe.durationSeconds).toBeCloseTo(18, 1);
    const extension = sim.state().operations.find((op) => op.name === extended.name);
    expect(extension).toMatchObject({ durationSeconds: 11, instance: { prompt: 'the fox jumps', video: { uri: firstVideo.uri } } });
  });

  it('refuses what the Gemini API refuses, with its status and message', async () => {
    const status = async (promise: Promise<unknown>) => {
      const error = await rejection(promise);
      expect(error.name).toBe('ApiError');
      return { status: error.status, message: error.message };
    };
    expect(await status(ai.models.generateVideos({ model: MODEL, source: { prompt: 'x' }, config: { durationSeconds: 5 } }))).toEqual({
      status: 400,
      message: expect.stringContaining('durationSeconds (5) is not supported') as string,
    });
    expect(await status(ai.models.generateVideos({ model: MODEL, source: { prompt: 'x' }, config: { aspectRatio: '1:1' } }))).toEqual({
      status: 400,
      message: expect.stringContaining('Aspect ratio 1:1 is not supported') as string,
    });
    expect(await status(ai.models.generateVideos({ model: MODEL, source: { prompt: 'x' }, config: { resolution: '1080p', durationSeconds: 4 } }))).toMatchObject({ status: 400 });
    expect(await status(ai.models.generateVideos({ model: MODEL, source: { prompt: 'x' }, config: { numberOfVideos: 2 } }))).toEqual({
      status: 400,
      message: expect.stringContaining('sampleCount must be between 1 and 1') as string,
    });
    expect(await status(ai.models.generateVideos({ model: MODEL, source: { prompt: 'x' }, config: { personGeneration: 'allow_adult' } }))).toEqual({
      status: 400,
      message: expect.stringContaining('allow_adult for personGeneration is currently not supported') as string,
    });
    expect(await status(ai.models.generateVideos({ model: 'veo-9-imaginary', source: { prompt: 'x' } }))).toEqual({
      status: 404,
      message: expect.stringContaining('models/veo-9-imaginary is not found') as string,
    });
    const made = await finish(ai, await ai.models.generateVideos({ model: 'veo-3.0-fast-generate-001', source: { prompt: 'base' }, config: { durationSeconds: 4 } }));
    expect(await status(ai.models.generateVideos({ model: 'veo-3.0-fast-generate-001', source: { prompt: 'more', video: made.response!.generatedVideos![0]!.video! } }))).toEqual({
      status: 400,
      message: expect.stringContaining('Video extension is not supported') as string,
    });
    expect(await status(ai.models.generateVideos({ model: MODEL, source: { prompt: 'more', video: { uri: 'https://example.com/files/abc123:download' } } }))).toMatchObject({ status: 400 });
  });

  it('answers a wrong key 400 API_KEY_INVALID and a missing one 403 PERMISSION_DENIED, as googleapis.com does', async () => {
    const wrong = await rejection(client(sim, 'wrong-key').models.generateVideos({ model: MODEL, source: { prompt: 'x' } }));
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.message)).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.', details: expect.arrayContaining([expect.objectContaining({ reason: 'API_KEY_INVALID' })]) as unknown },
    });

    const missing = await fetch(`${sim.url}/v1beta/models/${MODEL}:predictLongRunning`, { method: 'POST', body: '{"instances":[{"prompt":"x"}]}' });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });

    const done = await finish(ai, await ai.models.generateVideos({ model: MODEL, source: { prompt: 'keyless download' }, config: { durationSeconds: 4 } }));
    expect((await fetch(done.response!.generatedVideos![0]!.video!.uri!)).status).toBe(403);
    expect((await fetch(done.response!.generatedVideos![0]!.video!.uri!, { headers: { 'x-goog-api-key': KEY } })).status).toBe(200);
  });
});
