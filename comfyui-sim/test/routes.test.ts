import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { ComfySimulator } from '../src/simulator';
import { WsClient, animateDiffGraph, getJson, postJson, probeVideo, startSim, submit, vectors, waitForHistory } from './support/sim-client';

async function upload(sim: ComfySimulator, name: string, content: Buffer, fields: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append('image', new Blob([content], { type: 'image/png' }), name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  const response = await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : text };
}

describe('files, info and queue routes', () => {
  let sim: ComfySimulator;

  beforeAll(async () => {
    sim = await startSim();
  });

  afterAll(async () => {
    await sim.close();
  });

  it('uploads, renames a different file of the same name, keeps an identical one, overwrites on request', async () => {
    expect((await upload(sim, 'ref.png', Buffer.from('one'))).body).toEqual({ name: 'ref.png', subfolder: '', type: 'input' });
    expect((await upload(sim, 'ref.png', Buffer.from('one'))).body).toEqual({ name: 'ref.png', subfolder: '', type: 'input' });
    expect((await upload(sim, 'ref.png', Buffer.from('two'))).body).toEqual({ name: 'ref (1).png', subfolder: '', type: 'input' });
    expect((await upload(sim, 'ref.png', Buffer.from('three'))).body).toEqual({ name: 'ref (2).png', subfolder: '', type: 'input' });
    expect((await upload(sim, 'ref.png', Buffer.from('four'), { overwrite: 'true' })).body).toEqual({ name: 'ref.png', subfolder: '', type: 'input' });
    expect(await readFile(path.join(sim.dirs.input, 'ref.png'), 'utf8')).toBe('four');
    expect((await upload(sim, 'ref.png', Buffer.from('x'), { subfolder: 'refs' })).body).toEqual({ name: 'ref.png', subfolder: 'refs', type: 'input' });
    expect((await upload(sim, 'ref.png', Buffer.from('x'), { subfolder: '../../etc' })).status).toBe(400);
    const info = await getJson<{ LoadImage: { input: { required: { image: [string[], object] } } } }>(sim, '/object_info/LoadImage');
    expect(info.LoadImage.input.required.image).toEqual([['ref (1).png', 'ref (2).png', 'ref.png'], { image_upload: true }]);
    const view = await fetch(`${sim.url}/view?filename=ref.png&type=input`);
    expect([view.status, view.headers.get('content-type'), await view.text()]).toEqual([200, 'image/png', 'four']);
  });

  it('refuses /view paths that escape, and 404s missing files', async () => {
    const status = async (query: string) => (await fetch(`${sim.url}/view?${query}`)).status;
    expect(await status('filename=../secret.txt')).toBe(400);
    expect(await status(`filename=${encodeURIComponent('/etc/passwd')}`)).toBe(400);
    expect(await status('filename=x.png&type=bogus')).toBe(400);
    expect(await status('filename=passwd&subfolder=../../../../etc')).toBe(403);
    expect(await status('filename=missing.mp4')).toBe(404);
    expect(await status('type=output')).toBe(404);
  });

  it('describes nodes, models and the (absent) GPU', async () => {
    expect(await getJson(sim, '/object_info/NoSuchNode')).toEqual({});
    const all = await getJson(sim, '/object_info');
    for (const name of ['CheckpointLoaderSimple', 'KSampler', 'ADE_AnimateDiffLoaderGen1', 'VHS_VideoCombine', 'SVD_img2vid_Conditioning', 'SaveVideo']) {
      expect(Object.keys(all[name] as object).sort()).toEqual(
        ['category', 'description', 'display_name', 'input', 'input_order', 'name', 'output', 'output_is_list', 'output_name', 'output_node', 'python_module', ...(all[name] as { output_tooltips?: unknown }).output_tooltips ? ['output_tooltips'] : []].sort(),
      );
    }
    expect(await getJson(sim, '/models/checkpoints')).toEqual(vectors.models_checkpoints);
    expect(await getJson(sim, '/models/animatediff_models')).toEqual(vectors.models_animatediff_models);
    expect(await getJson(sim, '/models')).toEqual(expect.arrayContaining(['checkpoints', 'animatediff_models', 'vae', 'loras']));
    expect((await fetch(`${sim.url}/models/nope`)).status).toBe(404);
    const stats = await getJson<{ system: object; devices: Array<Record<string, unknown>> }>(sim, '/system_stats');
    expect(Object.keys(stats.system).sort()).toEqual(Object.keys(vectors.system_stats.system).sort());
    expect(stats.devices).toHaveLength(1);
    expect(Object.keys(stats.devices[0] as object).sort()).toEqual(Object.keys(vectors.system_stats.devices[0] as object).sort());
    expect(stats.devices[0]?.name).toBe('ComfyUI simulator (no GPU)');
  });

  it('shows, deletes and clears queued prompts; trims history', async () => {
    sim.setTiming({ stepMs: 20 });
    const running = await submit(sim, animateDiffGraph({ frames: 2, size: 64, steps: 100, seed: 21 }), 'q');
    const pending = await submit(sim, animateDiffGraph({ frames: 2, size: 64, steps: 1, seed: 22 }), 'q');
    const first = await submit(sim, animateDiffGraph({ frames: 2, size: 64, steps: 1, seed: 23 }), 'q');
    const front = await postJson(sim, '/prompt', { prompt: animateDiffGraph({ frames: 2, size: 64, steps: 1, seed: 24 }), front: true });
    const queue = await getJson<{ queue_running: unknown[][]; queue_pending: unknown[][] }>(sim, '/queue');
    expect(queue.queue_running.map((item) => item[1])).toEqual([running]);
    expect(queue.queue_pending.map((item) => item[1])).toEqual([(front.body as { prompt_id: string }).prompt_id, pending, first]);
    expect(queue.queue_running[0]?.slice(3)).toEqual([{ client_id: 'q' }, ['9']]);
    await postJson(sim, '/queue', { delete: [pending] });
    expect((await getJson<{ queue_pending: unknown[][] }>(sim, '/queue')).queue_pending.map((item) => item[1])).toHaveLength(2);
    await postJson(sim, '/queue', { clear: true });
    expect((await getJson<{ queue_pending: unknown[] }>(sim, '/queue')).queue_pending).toEqual([]);
    await fetch(`${sim.url}/interrupt`, { method: 'POST' });
    await waitForHistory(sim, running);
    sim.setTiming({ stepMs: 5 });
    expect(Object.keys(await getJson(sim, '/history'))).toContain(running);
    await postJson(sim, '/history', { delete: [running] });
    expect(await getJson(sim, `/history/${running}`)).toEqual({});
    await postJson(sim, '/history', { clear: true });
    expect(await getJson(sim, '/history')).toEqual({});
  });

  it('runs the SVD graph from an uploaded image to a SaveVideo mp4', async () => {
    const png = path.join(sim.dirs.temp, 'still.png');
    await promisify(execFile)(ffmpegInstaller.path, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=96x64', '-frames:v', '1', png]);
    const { body } = await upload(sim, 'still.png', await readFile(png));
    const graph = {
      '1': { class_type: 'ImageOnlyCheckpointLoader', inputs: { ckpt_name: 'svd_xt_1_1.safetensors' } },
      '2': { class_type: 'LoadImage', inputs: { image: (body as { name: string }).name } },
      '3': { class_type: 'SVD_img2vid_Conditioning', inputs: { clip_vision: ['1', 1], init_image: ['2', 0], vae: ['1', 2], width: 128, height: 72, video_frames: 6, motion_bucket_id: 127, fps: 6, augmentation_level: 0 } },
      '4': { class_type: 'VideoLinearCFGGuidance', inputs: { model: ['1', 0], min_cfg: 1 } },
      '5': { class_type: 'KSampler', inputs: { model: ['4', 0], positive: ['3', 0], negative: ['3', 1], latent_image: ['3', 2], seed: 5, steps: 2, cfg: 2.5, sampler_name: 'euler', scheduler: 'karras', denoise: 1 } },
      '6': { class_type: 'VAEDecode', inputs: { samples: ['5', 0], vae: ['1', 2] } },
      '7': { class_type: 'CreateVideo', inputs: { images: ['6', 0], fps: 8 } },
      '8': { class_type: 'SaveVideo', inputs: { video: ['7', 0], filename_prefix: 'video/svd', format: 'auto', codec: 'auto' } },
    };
    const ws = await WsClient.connect(sim, 'svd');
    const promptId = await submit(sim, graph, 'svd');
    await ws.waitForEnd(promptId);
    ws.close();
    const entry = await waitForHistory(sim, promptId);
    const output = (entry.outputs as Record<string, unknown>)['8'];
    expect(output).toEqual({ images: [{ filename: 'svd_00001_.mp4', subfolder: 'video', type: 'output' }], animated: [true] });
    expect(Object.keys(output as object)).toEqual(Object.keys(vectors.core_video_output));
    expect(await probeVideo(path.join(sim.dirs.output, 'video', 'svd_00001_.mp4'))).toMatchObject({ codec_name: 'h264', width: 128, height: 72, nb_read_frames: '6', r_frame_rate: '8/1' });
  });

  it('refuses a foreign Origin on a loopback host, like ComfyUI', async () => {
    expect((await fetch(`${sim.url}/queue`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(`${sim.url}/queue`, { headers: { origin: sim.url } })).status).toBe(200);
  });

  it('reports its state and takes timing changes under /sim/', async () => {
    const timing = await postJson(sim, '/sim/timing', { stepMs: 7 });
    expect(timing.body).toEqual({ timing: expect.objectContaining({ stepMs: 7 }) });
    expect((await postJson(sim, '/sim/timing', { stepMs: -1 })).status).toBe(400);
    const state = await getJson<{ note: string; counters: Record<string, number> }>(sim, '/sim/state');
    expect(state.note).toMatch(/not ComfyUI, no GPU/);
    expect(state.counters.promptsAccepted).toBeGreaterThan(0);
  });
});
