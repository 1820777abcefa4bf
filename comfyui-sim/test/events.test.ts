import type { ComfySimulator } from '../src/simulator';
import { SentEventLog } from '../src/ws/sent-events';
import { WsClient, animateDiffGraph, getJson, startSim, submit } from './support/sim-client';

interface SentEventJson {
  sentAt: number;
  promptId: string;
  type: string;
  data: Record<string, unknown>;
  recipients: number;
}

describe('GET /sim/events', () => {
  let sim: ComfySimulator;
  let ws: WsClient;

  beforeAll(async () => {
    sim = await startSim();
    ws = await WsClient.connect(sim, 'events-client');
  });

  afterAll(async () => {
    ws.close();
    await sim.close();
  });

  it('lists the messages sent for a prompt, in order, with their send times', async () => {
    const before = Date.now();
    const promptId = await submit(sim, animateDiffGraph({ frames: 2, size: 64, steps: 3, seed: 501 }), 'events-client');
    await ws.waitForEnd(promptId);
    const { events } = await getJson<{ events: SentEventJson[] }>(sim, `/sim/events?promptId=${promptId}`);
    const received = ws.messages.filter((m) => m.data.prompt_id === promptId);
    expect(events.map((e) => e.type)).toEqual(received.map((m) => m.type));
    expect(events.every((e) => e.promptId === promptId && e.recipients === 1 && e.sentAt >= before && e.sentAt <= Date.now())).toBe(true);
    expect(events.map((e) => e.sentAt)).toEqual([...events.map((e) => e.sentAt)].sort((a, b) => a - b));
    const steps = events.filter((e) => e.type === 'progress' && e.data.node === '6').map((e) => e.data.value);
    expect(steps).toEqual([1, 2, 3]);
    expect(events.at(-1)).toMatchObject({ type: 'executing', data: { node: null, prompt_id: promptId } });
  });

  it('records only what reached a socket, and refuses a repeated promptId', async () => {
    const promptId = await submit(sim, animateDiffGraph({ frames: 2, size: 64, steps: 2, seed: 502 }), 'nobody-listening');
    const history = async () => (await getJson(sim, `/history/${promptId}`))[promptId];
    for (let i = 0; i < 200 && !(await history()); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const progress = await getJson<{ events: SentEventJson[] }>(sim, `/sim/events?promptId=${promptId}`);
    // progress and progress_state go to everyone when the prompt's client is gone, as in ComfyUI.
    expect(progress.events.every((e) => e.type === 'progress' || e.type === 'progress_state')).toBe(true);
    expect((await fetch(`${sim.url}/sim/events?promptId=a&promptId=b`)).status).toBe(400);
    const all = await getJson<{ events: SentEventJson[] }>(sim, '/sim/events');
    expect(all.events.length).toBeGreaterThan(progress.events.length);
  });

  it('is bounded: the oldest events go first', () => {
    const log = new SentEventLog(3);
    for (let value = 1; value <= 5; value += 1) log.record({ type: 'progress', data: { value, max: 5, prompt_id: 'p', node: '6' } }, 1, value);
    log.record({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } } } }, 1);
    log.record({ type: 'progress', data: { value: 9, max: 9, prompt_id: 'q', node: '6' } }, 0);
    expect(log.list('p').map((e) => e.sentAt)).toEqual([3, 4, 5]);
    expect(log.size).toBe(3);
  });
});
