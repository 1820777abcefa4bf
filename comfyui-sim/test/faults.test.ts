import type { ComfySimulator } from '../src/simulator';
import { WsClient, animateDiffGraph, getJson, postJson, startSim, submit, vectors, waitForHistory, type WsMessage } from './support/sim-client';

function types(messages: WsMessage[]): string[] {
  return messages.filter((m) => m.type !== 'progress_state').map((m) => m.type);
}

/** A small, quick variant of the AnimateDiff graph. */
const small = (change: Parameters<typeof animateDiffGraph>[0] = {}) => animateDiffGraph({ frames: 4, size: 64, steps: 3, ...change });

describe('faults', () => {
  let sim: ComfySimulator;
  let ws: WsClient;
  const client = 'fault-client';

  beforeAll(async () => {
    sim = await startSim();
    ws = await WsClient.connect(sim, client);
  });

  afterEach(async () => {
    await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' });
    sim.setTiming({ stepMs: 5 });
  });

  afterAll(async () => {
    ws.close();
    await sim.close();
  });

  it('oom: reproduces the ws_out_of_memory sequence and unloads models', async () => {
    const warm = await submit(sim, small({ seed: 1, prefix: 'oom' }), client);
    await ws.waitForEnd(warm);
    const armed = await postJson(sim, '/sim/faults', { kind: 'oom' });
    expect(armed.status).toBe(200);
    const from = ws.messages.length;
    const promptId = await submit(sim, small({ seed: 2, prefix: 'oom' }), client);
    await ws.waitForEnd(promptId);
    const received = ws.messages.slice(from);
    const sequence = types(received).slice(types(received).indexOf('execution_start'));
    expect(sequence).toEqual(vectors.ws_out_of_memory.map((m) => m.type));
    const cached = received.find((m) => m.type === 'execution_cached');
    expect(cached?.data.nodes).toEqual(['1', '2', '3', '4', '5']);
    const error = received.find((m) => m.type === 'execution_error') as WsMessage;
    const expected = vectors.ws_out_of_memory.find((m) => m.type === 'execution_error') as WsMessage;
    expect(Object.keys(error.data).sort()).toEqual(Object.keys(expected.data).sort());
    expect(error.data).toMatchObject({
      prompt_id: promptId,
      node_id: '6',
      node_type: 'KSampler',
      executed: ['1', '2', '3', '4', '5'],
      exception_type: 'torch.OutOfMemoryError',
      current_outputs: ['1', '2', '3', '4', '5'],
      current_inputs: { seed: ['2'], steps: ['3'], cfg: ['7.5'], sampler_name: ['euler'], scheduler: ['normal'], denoise: ['1.0'] },
    });
    expect(error.data.exception_message).toMatch(/^CUDA out of memory\. Tried to allocate 2\.50 GiB\. GPU 0 has a total capacity of 23\.65 GiB of which 1\.02 GiB is free\./);
    expect(error.data.exception_message).toContain('\nThis error means you ran out of memory on your GPU.');
    const progress = received.filter((m) => m.type === 'progress').map((m) => m.data.value);
    expect(progress).toEqual([1]);

    const entry = await waitForHistory(sim, promptId);
    expect(entry).toMatchObject({ outputs: {}, meta: {}, status: { status_str: 'error', completed: false } });
    const messages = (entry.status as { messages: Array<[string, unknown]> }).messages;
    expect(messages.map(([type]) => type)).toEqual(['execution_start', 'execution_cached', 'execution_error']);
    expect(sim.state().loadedModels).toEqual([]);
    expect(sim.state().faults).toEqual([]);
  });

  it('file_not_found on a loader, exception on the decoder', async () => {
    sim.addFault({ kind: 'file_not_found', node: 'CheckpointLoaderSimple' });
    await fetch(`${sim.url}/free`, { method: 'POST', body: JSON.stringify({ free_memory: true }) });
    const first = await submit(sim, small({ seed: 3 }), client);
    await ws.waitForEnd(first);
    const notFound = ws.messages.find((m) => m.type === 'execution_error' && m.data.prompt_id === first);
    expect(notFound?.data).toMatchObject({ node_id: '1', node_type: 'CheckpointLoaderSimple', exception_type: 'FileNotFoundError', executed: [] });
    expect(notFound?.data.exception_message).toMatch(/^\[Errno 2\] No such file or directory: '.*v1-5-pruned-emaonly\.safetensors'\n$/);

    sim.addFault({ kind: 'exception', node: 'VAEDecode' });
    const second = await submit(sim, small({ seed: 4 }), client);
    await ws.waitForEnd(second);
    const runtime = ws.messages.find((m) => m.type === 'execution_error' && m.data.prompt_id === second);
    expect(runtime?.data).toMatchObject({ node_id: '8', node_type: 'VAEDecode', exception_type: 'RuntimeError' });
  });

  it('promptContains picks the prompt a fault hits', async () => {
    sim.addFault({ kind: 'exception', promptContains: 'lighthouse' });
    const spared = await submit(sim, small({ seed: 5, text: 'a paper boat' }), client);
    const hit = await submit(sim, small({ seed: 6, text: 'a lighthouse at night' }), client);
    await ws.waitForEnd(hit);
    expect(((await waitForHistory(sim, spared)).status as { status_str: string }).status_str).toBe('success');
    expect(((await waitForHistory(sim, hit)).status as { status_str: string }).status_str).toBe('error');
  });

  it('interrupt: only the named running prompt, at the next step', async () => {
    sim.setTiming({ stepMs: 20 });
    const promptId = await submit(sim, small({ seed: 7, steps: 200 }), client);
    await ws.waitFor((m) => m.type === 'progress' && m.data.prompt_id === promptId && m.data.value === 2);
    const other = await fetch(`${sim.url}/interrupt`, { method: 'POST', body: JSON.stringify({ prompt_id: 'someone-else' }) });
    expect([other.status, await other.text()]).toEqual([200, '']);
    await ws.waitFor((m) => m.type === 'progress' && m.data.prompt_id === promptId && m.data.value === 4);
    await fetch(`${sim.url}/api/interrupt`, { method: 'POST', body: JSON.stringify({ prompt_id: promptId }) });
    await ws.waitForEnd(promptId);
    const tail = types(ws.forPrompt(promptId)).slice(-3);
    expect(tail).toEqual(vectors.ws_interrupted.slice(-3).map((m) => m.type));
    const interrupted = ws.messages.find((m) => m.type === 'execution_interrupted' && m.data.prompt_id === promptId);
    expect(Object.keys(interrupted?.data ?? {}).sort()).toEqual(Object.keys(vectors.ws_interrupted[2]?.data ?? {}).sort());
    expect(interrupted?.data).toMatchObject({ node_id: '6', node_type: 'KSampler' });
    const entry = await waitForHistory(sim, promptId);
    expect(entry.status).toMatchObject({ status_str: 'error', completed: false });
    expect((entry.status as { messages: Array<[string]> }).messages.map(([type]) => type)).toContain('execution_interrupted');
  });

  it('drop_socket: the socket dies, the prompt finishes, history has the result, a reconnect gets the running node', async () => {
    sim.setTiming({ stepMs: 20 });
    const dropped = await WsClient.connect(sim, 'dropper');
    sim.addFault({ kind: 'drop_socket', atStep: 2 });
    const promptId = await submit(sim, small({ seed: 8, steps: 10 }), 'dropper');
    expect(await dropped.waitClosed()).toBe(1006);
    const again = await WsClient.connect(sim, 'dropper');
    const greeting = await again.waitFor((m) => m.type === 'executing');
    expect(greeting.data).toEqual({ node: '6' });
    expect(again.messages[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 1 } }, sid: 'dropper' } });
    const entry = await waitForHistory(sim, promptId);
    expect(entry.status).toMatchObject({ status_str: 'success', completed: true });
    expect(Object.keys(entry.outputs as object)).toEqual(['9']);
    again.close();
  });

  it('stuck: goes silent until interrupted', async () => {
    sim.addFault({ kind: 'stuck', atStep: 2 });
    const promptId = await submit(sim, small({ seed: 9, steps: 5 }), client);
    await ws.waitFor((m) => m.type === 'progress' && m.data.prompt_id === promptId && m.data.value === 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ws.messages.filter((m) => m.type === 'progress' && m.data.prompt_id === promptId).map((m) => m.data.value)).toEqual([1, 2]);
    expect(sim.state().queue.running).toBe(promptId);
    expect(await getJson(sim, `/history/${promptId}`)).toEqual({});
    await fetch(`${sim.url}/interrupt`, { method: 'POST' });
    await ws.waitForEnd(promptId);
    expect(((await waitForHistory(sim, promptId)).status as { status_str: string }).status_str).toBe('error');
  });

  it('stuck: resumes when the faults are cleared', async () => {
    sim.addFault({ kind: 'stuck', node: 'VAEDecode' });
    const promptId = await submit(sim, small({ seed: 10 }), client);
    await ws.waitFor((m) => m.type === 'executing' && m.data.node === '8' && m.data.prompt_id === promptId);
    expect((await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' })).status).toBe(200);
    await ws.waitForEnd(promptId);
    expect(((await waitForHistory(sim, promptId)).status as { status_str: string }).status_str).toBe('success');
  });

  it('lose_prompt: the prompt vanishes from queue and history, the next one runs', async () => {
    sim.addFault({ kind: 'lose_prompt' });
    const lost = await submit(sim, small({ seed: 11 }), client);
    const next = await submit(sim, small({ seed: 12 }), client);
    await ws.waitForEnd(next);
    expect(await getJson(sim, `/history/${lost}`)).toEqual({});
    expect(await getJson(sim, '/queue')).toEqual({ queue_running: [], queue_pending: [] });
    expect(ws.messages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === lost)).toBe(false);
    expect(sim.state().counters.promptsLost).toBe(1);
  });

  it('rejects a malformed fault with a message naming the field', async () => {
    const { status, body } = await postJson(sim, '/sim/faults', { kind: 'oom', atStep: 0 });
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/^atStep: /);
  });
});

describe('the exit fault', () => {
  it('tears the server down and reports exit code 1', async () => {
    const exits: number[] = [];
    const sim = await startSim({ onExit: (code) => exits.push(code) });
    try {
      const ws = await WsClient.connect(sim, 'doomed');
      sim.addFault({ kind: 'exit', atStep: 2 });
      const promptId = await submit(sim, small({ seed: 13 }), 'doomed');
      await ws.waitClosed();
      expect(exits).toEqual([1]);
      await expect(fetch(`${sim.url}/history/${promptId}`)).rejects.toThrow();
    } finally {
      await sim.close();
    }
  });
});
