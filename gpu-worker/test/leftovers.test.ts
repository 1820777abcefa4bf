import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComfySimulator } from '../../comfyui-sim/src/simulator';
import type { ComfyClient } from '../src/comfy/client';
import { followPrompt, type PromptEvent } from '../src/comfy/follow-prompt';
import { removeAttemptLeftovers, type AttemptTraces } from '../src/comfy/leftovers';
import type { ComfySocket } from '../src/comfy/socket';
import { FAST, silentLog, smallGraph, startComfyFixture, type ComfyFixture } from './support/comfy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Every file under a folder, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

describe('removeAttemptLeftovers on the simulator', () => {
  let fixture: ComfyFixture;
  let sim: ComfySimulator;
  let client: ComfyClient;
  let socket: ComfySocket;

  beforeAll(async () => {
    fixture = await startComfyFixture('leftovers');
    ({ sim, client, socket } = fixture);
  });

  afterEach(async () => {
    sim.clearFaults();
    sim.setTiming(FAST);
    await until('an idle simulator', () => sim.state().queue.running === null && sim.state().queue.pending.length === 0);
  });

  afterAll(() => fixture.close());

  const folders = () => ({ output: sim.dirs.output, input: sim.dirs.input, temp: sim.dirs.temp });
  const remove = (traces: AttemptTraces, settleMs = 10_000) => removeAttemptLeftovers(traces, { client, folders: folders(), settleMs, log: silentLog, pollMs: 20 });
  const everything = async () => [...(await filesUnder(sim.dirs.output)), ...(await filesUnder(sim.dirs.input)), ...(await filesUnder(sim.dirs.temp))];

  /** Runs the small AnimateDiff graph under a fresh attempt stem; `onEvent` may abort it. */
  async function run(onEvent: (event: PromptEvent, controller: AbortController) => void = () => undefined) {
    const stem = `job-${randomUUID()}-a0`;
    const traces: AttemptTraces = { promptId: randomUUID(), filenamePrefix: `vidgen/${stem}`, inputStem: stem };
    const controller = new AbortController();
    const following = followPrompt({
      client, socket, promptId: traces.promptId!, signal: controller.signal, historyPollMs: 200, stallMs: 30_000, log: silentLog,
      onEvent: (event) => onEvent(event, controller),
    });
    await client.submitPrompt(smallGraph({ filenamePrefix: traces.filenamePrefix }), { promptId: traces.promptId!, clientId: fixture.clientId });
    const outcome = await following.then(() => 'succeeded', (error: Error) => error.message);
    return { traces, stem, outcome };
  }

  it('after a success: the video, the PNG VideoHelperSuite writes beside it, the upload and the history entry are gone', async () => {
    const other = await run();
    const { traces, stem, outcome } = await run();
    expect(outcome).toBe('succeeded');
    await client.uploadImage(`${stem}.png`, new Blob([Buffer.from('not really a png')], { type: 'image/png' }));
    await client.uploadImage(`${stem}.png`, new Blob([Buffer.from('another')], { type: 'image/png' })); // overwrite: same name
    const before = (await everything()).filter((name) => name.includes(stem));
    expect(before.sort()).toEqual([`${stem}.png`, `vidgen/${stem}_00001.mp4`, `vidgen/${stem}_00001.png`].sort());

    await remove(traces);

    expect((await everything()).filter((name) => name.includes(stem))).toEqual([]);
    expect(await client.history(traces.promptId!)).toBeNull();
    // Another attempt's files are not ours to touch.
    expect((await everything()).filter((name) => name.includes(other.stem))).toHaveLength(2);
    await remove(other.traces);
  });

  it('after an execution failure: the PNG written before the encode failed is gone', async () => {
    sim.addFault({ kind: 'exception', node: 'VHS_VideoCombine', atStep: 3 });
    const { traces, stem, outcome } = await run();
    expect(outcome).not.toBe('succeeded');
    expect((await everything()).filter((name) => name.includes(stem))).toEqual([`vidgen/${stem}_00001.png`]);
    await remove(traces);
    expect((await everything()).filter((name) => name.includes(stem))).toEqual([]);
  });

  it('after a cancel mid-encode: waits for the interrupt to land, then removes what the prompt wrote', async () => {
    sim.setTiming({ frameMs: 50 });
    const { traces, stem, outcome } = await run((event, controller) => {
      if (event.kind === 'progress' && event.max === 8 && event.value === 2 && event.nodeId !== '6') controller.abort(new Error('cancelled'));
    });
    expect(outcome).toBe('cancelled');
    expect(await everything()).toContain(`vidgen/${stem}_00001.png`);
    await remove(traces);
    expect(sim.state().queue.running).toBeNull();
    expect((await everything()).filter((name) => name.includes(stem))).toEqual([]);
  });

  it('a file written after we stopped watching is removed once the prompt ends', async () => {
    sim.setTiming({ frameMs: 40 });
    const stem = `job-${randomUUID()}-a0`;
    const traces: AttemptTraces = { promptId: randomUUID(), filenamePrefix: `vidgen/${stem}`, inputStem: null };
    await client.submitPrompt(smallGraph({ filenamePrefix: traces.filenamePrefix }), { promptId: traces.promptId!, clientId: fixture.clientId });
    await until('the prompt running', () => sim.state().queue.running !== null);
    // Nobody interrupts it and the settle wait is short: the removal runs while ComfyUI still writes.
    await remove(traces, 10);
    await until('the prompt ending', () => sim.state().queue.running === null);
    await until('the late files gone', async () => (await everything()).every((name) => !name.includes(stem)));
    await until('the history entry gone', async () => (await client.history(traces.promptId!)) === null);
  });
});
