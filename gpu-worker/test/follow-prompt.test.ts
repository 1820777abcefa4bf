import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobError } from '@vidgen/contract';
import type { ComfySimulator } from '../../comfyui-sim/src/simulator';
import { ComfyClient, type Graph } from '../src/comfy/client';
import { ComfyError } from '../src/comfy/errors';
import { followPrompt, type PromptEvent } from '../src/comfy/follow-prompt';
import type { HistoryEntry, OutputFile } from '../src/comfy/messages';
import { ComfySocket } from '../src/comfy/socket';
import { FAST, rejectsWithCode, silentLog, smallGraph, startComfyFixture, startSim, type ComfyFixture } from './support/comfy';
import { ffprobe } from '../../packages/media/test/support/media';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('ComfyClient + ComfySocket + followPrompt on the simulator', () => {
  let fixture: ComfyFixture;
  let sim: ComfySimulator;
  let client: ComfyClient;
  let socket: ComfySocket;
  let dir: string;
  let clientId: string;

  beforeAll(async () => {
    fixture = await startComfyFixture('follow-prompt');
    ({ sim, client, socket, dir, clientId } = fixture);
  });

  afterEach(async () => {
    sim.clearFaults();
    sim.setTiming(FAST);
    // Leave nothing running for the next test.
    await until('an idle simulator', () => sim.state().queue.running === null && sim.state().queue.pending.length === 0);
  });

  afterAll(() => fixture.close());

  /** Starts following first, then submits under our own ids (as the worker does). */
  async function start(graph: Graph, options: { historyPollMs?: number; stallMs?: number; onEvent?: (event: PromptEvent, controller: AbortController) => void } = {}) {
    const promptId = randomUUID();
    const controller = new AbortController();
    const events: PromptEvent[] = [];
    const following = followPrompt({
      client,
      socket,
      promptId,
      signal: controller.signal,
      historyPollMs: options.historyPollMs ?? 200,
      stallMs: options.stallMs ?? 30_000,
      log: silentLog,
      onEvent: (event) => {
        events.push(event);
        options.onEvent?.(event, controller);
      },
    });
    following.catch(() => undefined);
    const { number } = await client.submitPrompt(graph, { promptId, clientId });
    return { promptId, controller, events, following, number };
  }

  async function historyOf(promptId: string): Promise<HistoryEntry> {
    return until(`history of ${promptId}`, () => client.history(promptId));
  }

  it('follows the AnimateDiff graph to its video, and downloads it', async () => {
    const { promptId, events, following, number } = await start(smallGraph({ frameCount: 8, steps: 3 }));
    expect(typeof number).toBe('number');
    const files = await following;

    expect(files).toHaveLength(1);
    const [file] = files as [OutputFile];
    expect(file.filename).toMatch(/^test-\d+_\d{5}\.mp4$/);
    expect(file).toMatchObject({ subfolder: 'vidgen', type: 'output', format: 'video/h264-mp4' });

    // ComfyUI lists VHS videos under `gifs`, and the history entry is a success.
    const entry = await historyOf(promptId);
    expect(entry.status).toMatchObject({ status_str: 'success', completed: true });
    expect(entry.outputs['9']?.gifs).toEqual([expect.objectContaining({ filename: file.filename, subfolder: 'vidgen', type: 'output' })]);

    const target = join(dir, 'downloaded.mp4');
    await client.download(file, target);
    const probed = await ffprobe(target);
    expect(probed).toMatchObject({ codec: 'h264', frames: 8, width: 64, height: 64, pixelFormat: 'yuv420p' });

    // Events: started first, every executed node once, sampler steps 1..3 of 3.
    expect(events[0]).toEqual({ kind: 'started' });
    const nodes = events.flatMap((e) => (e.kind === 'node' ? [e.nodeId] : []));
    expect(nodes).toEqual(['1', '5', '10', '2', '3', '4', '6', '8', '9']);
    const sampler = events.filter((e): e is Extract<PromptEvent, { kind: 'progress' }> => e.kind === 'progress' && e.nodeId === '6');
    expect(sampler.map((e) => [e.value, e.max])).toEqual([[1, 3], [2, 3], [3, 3]]);
    const frames = events.filter((e) => e.kind === 'progress' && e.nodeId === '9');
    expect(frames).toHaveLength(8);
    // The sampler's node event precedes its steps.
    expect(events.findIndex((e) => e.kind === 'node' && e.nodeId === '6')).toBeLessThan(events.indexOf(sampler[0]!));
  });

  it('download of a file ComfyUI does not have is output_missing', async () => {
    await rejectsWithCode(client.download({ filename: 'nope_00001.mp4', subfolder: '', type: 'output' }, join(dir, 'nope.mp4')), 'output_missing');
  });

  it('out of memory rejects with gpu_out_of_memory', async () => {
    sim.addFault({ kind: 'oom', atStep: 2 });
    const { following, events } = await start(smallGraph());
    const error = await rejectsWithCode(following, 'gpu_out_of_memory');
    expect(error.message).toContain('KSampler');
    expect(error.message).toContain('CUDA out of memory');
    expect(error.message).not.toContain('\n');
    expect(events.filter((e) => e.kind === 'progress').map((e) => (e as { value: number }).value)).toEqual([1, 2]);
  });

  it('an exception rejects with comfyui_execution_failed, a missing file with comfyui_model_missing', async () => {
    sim.addFault({ kind: 'exception', node: 'VAEDecode' });
    await rejectsWithCode((await start(smallGraph())).following, 'comfyui_execution_failed');
    sim.addFault({ kind: 'file_not_found', node: 'KSampler' });
    await rejectsWithCode((await start(smallGraph())).following, 'comfyui_model_missing');
  });

  it('a dropped socket still resolves, from the history poll', async () => {
    sim.addFault({ kind: 'drop_socket', atStep: 1 });
    const { promptId, following } = await start(smallGraph(), { historyPollMs: 200 });
    const files = await following;
    expect(files[0]?.filename).toMatch(/\.mp4$/);
    expect(sim.state().counters.faultsFired).toBeGreaterThanOrEqual(1);
    expect((await historyOf(promptId)).status?.completed).toBe(true);
    await until('the socket to reconnect', () => socket.connected);
  });

  it('a dropped socket still resolves through the reconnect alone (no poll in time)', async () => {
    sim.setTiming({ stepMs: 60 });
    sim.addFault({ kind: 'drop_socket', atStep: 1 });
    const started = Date.now();
    const { following } = await start(smallGraph({ steps: 8 }), { historyPollMs: 60_000 });
    const files = await following;
    expect(files[0]?.filename).toMatch(/\.mp4$/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(socket.connected).toBe(true);
  });

  it('a lost prompt rejects with comfyui_prompt_lost', async () => {
    sim.addFault({ kind: 'lose_prompt', atStep: 1 });
    const { promptId, following } = await start(smallGraph(), { historyPollMs: 100 });
    await rejectsWithCode(following, 'comfyui_prompt_lost');
    expect(await client.history(promptId)).toBeNull();
    const queue = await client.queue();
    expect([...queue.running, ...queue.pending]).not.toContain(promptId);
    expect(sim.state().counters.promptsLost).toBeGreaterThanOrEqual(1);
  });

  it('a stuck prompt rejects with comfyui_stalled and is interrupted in ComfyUI', async () => {
    sim.addFault({ kind: 'stuck', atStep: 2 });
    const started = Date.now();
    const { promptId, following } = await start(smallGraph(), { historyPollMs: 100, stallMs: 400 });
    await rejectsWithCode(following, 'comfyui_stalled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const entry = await historyOf(promptId);
    expect(entry.status?.messages.map(([type]) => type)).toContain('execution_interrupted');
  });

  it('aborting mid-run interrupts the prompt and rejects with the abort reason', async () => {
    sim.setTiming({ stepMs: 80 });
    const reason = new Error('cancelled by the test');
    const { promptId, following, events } = await start(smallGraph({ steps: 10 }), {
      onEvent: (event, controller) => {
        if (event.kind === 'progress' && event.nodeId === '6' && event.value === 2) controller.abort(reason);
      },
    });
    await expect(following).rejects.toBe(reason);
    const entry = await historyOf(promptId);
    expect(entry.status?.status_str).toBe('error');
    const messages = entry.status?.messages.map(([type]) => type);
    expect(messages).toContain('execution_interrupted');
    expect(messages).not.toContain('execution_success');
    expect(entry.outputs).toEqual({});
    // Nothing reaches onEvent after the abort.
    const count = events.length;
    await sleep(200);
    expect(events).toHaveLength(count);
    expect(sim.state().counters.promptsInterrupted).toBeGreaterThanOrEqual(1);
  });

  it('aborting a pending prompt removes it from the queue', async () => {
    sim.setTiming({ stepMs: 40 });
    const first = await start(smallGraph({ steps: 10 }));
    const second = await start(smallGraph());
    expect((await client.queue()).pending).toContain(second.promptId);
    const reason = new Error('not wanted');
    second.controller.abort(reason);
    await expect(second.following).rejects.toBe(reason);
    await until('the pending prompt to be removed', async () => !(await client.queue()).pending.includes(second.promptId));
    await expect(first.following).resolves.toHaveLength(1);
    expect(await client.history(second.promptId)).toBeNull();
  });

  // The abort is handled before the history poll is set up: the run must still reject with the
  // abort's reason and remove the socket listeners it added.
  it('an already aborted signal rejects at once with its reason, leaving no listener behind', async () => {
    const listeners = { message: socket.listenerCount('message'), reconnected: socket.listenerCount('reconnected') };
    const controller = new AbortController();
    const reason = new Error('shutdown');
    controller.abort(reason);
    const following = followPrompt({ client, socket, promptId: randomUUID(), signal: controller.signal, historyPollMs: 100, stallMs: 1000, log: silentLog, onEvent: () => undefined });
    await expect(following).rejects.toBe(reason);
    expect({ message: socket.listenerCount('message'), reconnected: socket.listenerCount('reconnected') }).toEqual(listeners);
  });

  it('a settled follow leaves no listener on the shared socket', async () => {
    const listeners = socket.listenerCount('message');
    const { following } = await start(smallGraph());
    expect(socket.listenerCount('message')).toBe(listeners + 1);
    await following;
    expect(socket.listenerCount('message')).toBe(listeners);
  });

  it('re-following a finished prompt resolves from history', async () => {
    const { promptId, following } = await start(smallGraph());
    const files = await following;
    const again = await followPrompt({ client, socket, promptId, signal: new AbortController().signal, historyPollMs: 50, stallMs: 1000, log: silentLog, onEvent: () => undefined });
    expect(again).toEqual(files);
  });

  it('submitPrompt: an out-of-range value is comfyui_workflow_invalid (from the 400)', async () => {
    const error = await rejectsWithCode(client.submitPrompt(smallGraph({ steps: 0 }), { promptId: randomUUID(), clientId }), 'comfyui_workflow_invalid');
    expect(error.message).toContain('KSampler');
  });

  it('uploadImage stores the reference image and returns the name to use', async () => {
    const bytes = Buffer.from('\x89PNG\r\n\x1a\n not really a png, but bytes all the same');
    const name = await client.uploadImage('reference.png', new Blob([bytes]));
    expect(name).toBe('reference.png');
    expect((await readFile(join(sim.dirs.input, name))).equals(bytes)).toBe(true);
    // overwrite: the same name again, with the new content.
    expect(await client.uploadImage('reference.png', new Blob([Buffer.from('v2')]))).toBe('reference.png');
    expect(await readFile(join(sim.dirs.input, name), 'utf8')).toBe('v2');
  });

  // ComfyUI refuses an upload with a 400 and an empty body (aiohttp's web.Response(status=400)): the
  // status is checked before the body is parsed, so the refusal is a coded error, not a JSON error.
  it('a refused upload is reference_image_missing', async () => {
    await rejectsWithCode(client.uploadImage('', new Blob([Buffer.from('x')])), 'reference_image_missing');
  });

  it('the informational routes answer', async () => {
    expect(await client.history(randomUUID())).toBeNull();
    expect(await client.queue()).toEqual({ running: [], pending: [] });
    expect(await client.models('checkpoints')).toContain('v1-5-pruned-emaonly.safetensors');
    expect(await client.objectInfo('NoSuchNode')).toBeNull();
    expect((await client.objectInfo('KSampler'))?.input.required).toHaveProperty('steps');
    const stats = await client.systemStats();
    expect(stats.devices[0]?.name).toMatch(/simulator/i);
  });
});

describe('submitPrompt refusals from the simulator', () => {
  let noNode: ComfySimulator;
  let noModel: ComfySimulator;

  beforeAll(async () => {
    [noNode, noModel] = await Promise.all([startSim({ absentNodes: ['ADE_AnimateDiffLoaderGen1'] }), startSim({ absentModels: ['v3_sd15_mm.ckpt'] })]);
  });
  afterAll(() => Promise.all([noNode?.close(), noModel?.close()]));

  it('an unknown node is comfyui_node_missing', async () => {
    const error = await rejectsWithCode(new ComfyClient(noNode.url).submitPrompt(smallGraph(), { promptId: randomUUID(), clientId: 'c' }), 'comfyui_node_missing');
    expect(error.message).toContain('ADE_AnimateDiffLoaderGen1');
    expect(noNode.state().counters.promptsAccepted).toBe(0);
  });

  it('a missing model is comfyui_model_missing', async () => {
    const error = await rejectsWithCode(new ComfyClient(noModel.url).submitPrompt(smallGraph(), { promptId: randomUUID(), clientId: 'c' }), 'comfyui_model_missing');
    expect(error.message).toContain('v3_sd15_mm.ckpt');
  });

  it('an unreachable ComfyUI is comfyui_unreachable', async () => {
    const error = await rejectsWithCode(new ComfyClient('http://127.0.0.1:1').submitPrompt(smallGraph(), { promptId: randomUUID(), clientId: 'c' }), 'comfyui_unreachable');
    expect(JobError.is(error)).toBe(true);
  });
});

describe('followPrompt when ComfyUI dies', () => {
  async function follow(sim: ComfySimulator, socket: ComfySocket, options: { historyPollMs: number; stallMs: number }) {
    const client = new ComfyClient(sim.url);
    const promptId = randomUUID();
    const controller = new AbortController();
    const following = followPrompt({ client, socket, promptId, signal: controller.signal, log: silentLog, onEvent: () => undefined, ...options });
    following.catch(() => undefined);
    await client.submitPrompt(smallGraph(), { promptId, clientId: socket.clientId });
    return { following, controller };
  }

  it('a restarted ComfyUI that no longer knows the prompt rejects with comfyui_prompt_lost', async () => {
    const first = await startSim();
    const socket = new ComfySocket(first.url, `worker-${randomUUID()}`, silentLog);
    await socket.start();
    let second: ComfySimulator | undefined;
    try {
      first.addFault({ kind: 'exit', atStep: 1 });
      const { following } = await follow(first, socket, { historyPollMs: 100, stallMs: 30_000 });
      await until('the simulator to die', async () => fetch(`${first.url}/queue`).then(() => false, () => true));
      await first.close();
      second = await until('a restart on the same port', () => startSim({ port: first.port }).catch(() => null));
      await rejectsWithCode(following, 'comfyui_prompt_lost');
      await until('the socket to reconnect to the new server', () => socket.connected);
    } finally {
      socket.close();
      await second?.close();
    }
  });

  // While ComfyUI cannot be reached every poll fails; the stall clock still runs, so a ComfyUI that
  // dies for good ends the run with a coded error (comfyui_unreachable / comfyui_stalled) once
  // stallMs has passed without contact, rather than leaving it pending forever.
  it('a ComfyUI gone for good rejects within stallMs instead of hanging', async () => {
    const sim = await startSim();
    const socket = new ComfySocket(sim.url, `worker-${randomUUID()}`, silentLog);
    await socket.start();
    sim.addFault({ kind: 'exit', atStep: 1 });
    const { following, controller } = await follow(sim, socket, { historyPollMs: 100, stallMs: 500 });
    try {
      await until('the simulator to die', async () => fetch(`${sim.url}/queue`).then(() => false, () => true));
      const outcome = await Promise.race([following.then(() => 'resolved', (error: unknown) => error), sleep(2000).then(() => 'still pending 2 s after ComfyUI died (stallMs 500)')]);
      expect(outcome instanceof ComfyError ? 'a ComfyError' : outcome).toBe('a ComfyError');
      expect(['unreachable', 'stalled', 'prompt_lost']).toContain((outcome as ComfyError).kind);
    } finally {
      controller.abort(new Error('test over'));
      socket.close();
      await sim.close();
    }
  });
});
