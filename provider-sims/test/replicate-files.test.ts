import path from 'node:path';
import { readFile } from 'node:fs/promises';
import Replicate from 'replicate';
import { ANIMATEDIFF_SIM_VERSION, SVD_SIM_VERSION, type ReplicateSimulator } from '../src/simulators';
import { probeVideo } from './support/probe';
import { client, download, settle, startReplicate, TOKEN } from './support/replicate';
import { tempDir } from './support/veo';
import { rejection } from './support/wait';

/** The status and JSON body of a refused call of the replicate client (its ApiError carries both). */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const error = await rejection(promise);
  const response = error.response as Response;
  return { status: response.status, body: JSON.parse(String(error.message).replace(/^[^{]*/, '').replace(/\.$/, '')) as Record<string, unknown> };
}

describe('Replicate simulator: the files API and the published input schemas, driven by the real client', () => {
  let sim: ReplicateSimulator;
  let replicate: Replicate;
  let downloads: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    sim = await startReplicate();
    replicate = client(sim);
    downloads = await tempDir();
  });
  afterAll(async () => {
    await sim.close();
    await downloads.remove();
  });

  it('files.create uploads multipart and answers a file object whose urls.get an SVD prediction takes', async () => {
    const bytes = Buffer.alloc(1024 * 1024 + 10, 7);
    const file = await replicate.files.create(new File([bytes], 'reference.png', { type: 'image/png' }), { purpose: 'test' });
    expect(file).toMatchObject({
      id: expect.stringMatching(/^[a-z2-7]{26}$/),
      name: 'reference.png',
      content_type: 'image/png',
      size: bytes.length,
      checksums: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), md5: expect.stringMatching(/^[0-9a-f]{32}$/) },
      metadata: { purpose: 'test' },
      urls: { get: `${sim.apiUrl}/files/${file.id}` },
    });
    expect(await replicate.files.get(file.id)).toEqual(file);
    const fetched = await fetch(`${sim.apiUrl}/files/${file.id}/download`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);

    const created = await replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: file.urls.get, sizing_strategy: 'crop_to_16_9' } });
    const done = await settle(replicate, created);
    expect(done.status).toBe('succeeded');
    const out = path.join(downloads.dir, 'from-file.mp4');
    await download(done.output as string, out);
    // The published default is 14 frames (svd), written at frames_per_second (6) + 1.
    expect(await probeVideo(out)).toMatchObject({ frames: 14, fps: 7 });

    await replicate.files.delete(file.id);
    expect((await refusal(replicate.files.get(file.id))).status).toBe(404);
    expect(await refusal(replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: file.urls.get } }))).toMatchObject({
      status: 422,
      body: { title: 'Input validation failed', invalid_fields: [{ type: 'invalid_file', field: 'input.input_image' }] },
    });
    expect(sim.state().counters.filesCreated).toBe(1);
    expect(await readFile(path.join(sim.state().dataDir, `upload-${file.id}`)).catch(() => null)).toBeNull();
  });

  it('answers 422 in Replicate\'s shape for values outside the published schemas', async () => {
    expect(await refusal(replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'x', motion_module: 'mm_sd_v3', guidance_scale: 11 } }))).toMatchObject({
      status: 422,
      body: { title: 'Input validation failed', status: 422, invalid_fields: [{ field: 'input.motion_module' }, { field: 'input.guidance_scale' }] },
    });
    expect(await refusal(replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: '/local/file.png' } }))).toMatchObject({
      status: 422,
      body: { invalid_fields: [{ field: 'input.input_image' }] },
    });
    expect((await refusal(replicate.files.create(Buffer.alloc(0)).then(() => replicate.predictions.create({ version: SVD_SIM_VERSION, input: { input_image: 'x' } })))).status).toBe(422);
  });
});
