import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ComfySimulator } from '../src/simulator';
import { WsClient, getJson, postJson, probeVideo, startSim, submit, vectors, type WsMessage } from './support/sim-client';

/** Message types in order, progress_state left out and runs of `progress` folded into one. */
function shape(messages: Array<{ type: string }>): string[] {
  const types: string[] = [];
  for (const { type } of messages) {
    if (type === 'progress_state') continue;
    if (type === 'progress' && types[types.length - 1] === 'progress') continue;
    types.push(type);
  }
  return types;
}

const CLIENT = vectors.post_prompt_request.client_id;
const PROMPT_ID = vectors.post_prompt_request.prompt_id;

describe('the AnimateDiff prompt of the vectors', () => {
  let sim: ComfySimulator;
  let ws: WsClient;
  let scratch: string;

  beforeAll(async () => {
    sim = await startSim();
    scratch = await mkdtemp(path.join(tmpdir(), 'comfyui-sim-test-'));
    ws = await WsClient.connect(sim, CLIENT);
  });

  afterAll(async () => {
    ws.close();
    await sim.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('greets a new socket with the status of ws_on_connect', async () => {
    const first = await ws.waitFor(() => true);
    expect(first).toEqual(vectors.ws_on_connect);
  });

  it('accepts the request with 200 and the client prompt_id', async () => {
    const { status, body } = await postJson(sim, '/prompt', vectors.post_prompt_request);
    expect(status).toBe(200);
    expect(Object.keys(body as object).sort()).toEqual(Object.keys(vectors.post_prompt_200).sort());
    expect(body).toMatchObject({ prompt_id: PROMPT_ID, node_errors: {} });
  });

  it('sends the ws_success sequence', async () => {
    await ws.waitForEnd(PROMPT_ID);
    const received = ws.messages.slice(1);
    expect(shape(received)).toEqual(shape(vectors.ws_success));
    const executing = (list: WsMessage[]) => list.filter((m) => m.type === 'executing').map((m) => m.data);
    expect(executing(received)).toEqual(executing(vectors.ws_success as WsMessage[]));
    const progress = received.filter((m) => m.type === 'progress' && m.data.node === '6').map((m) => [m.data.value, m.data.max]);
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);
    const frames = received.filter((m) => m.type === 'progress' && m.data.node === '9');
    expect(frames).toHaveLength(24);
    expect(frames[23]?.data).toEqual({ value: 24, max: 24, prompt_id: PROMPT_ID, node: '9' });
    const firstState = received.find((m) => m.type === 'progress_state');
    expect(firstState).toEqual({ ...vectors.ws_success[4], data: { ...vectors.ws_success[4]?.data } });
    const executed = received.find((m) => m.type === 'executed');
    const expected = vectors.ws_success.find((m) => m.type === 'executed') as WsMessage;
    expect(executed?.data).toEqual({ ...expected.data, output: { gifs: [{ ...(expected.data.output as { gifs: object[] }).gifs[0], fullpath: expect.stringMatching(/\/output\/job_abc123_00001\.mp4$/) }] } });
  });

  it('stores a history entry shaped like history_success', async () => {
    const history = await getJson(sim, `/history/${PROMPT_ID}`);
    const entry = history[PROMPT_ID] as Record<string, unknown>;
    const expected = (vectors.history_success as Record<string, Record<string, unknown>>)[PROMPT_ID] as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(Object.keys(expected));
    const [number, id, graph, extra, outputs] = entry.prompt as unknown[];
    expect([typeof number, id, extra, outputs]).toEqual(['number', PROMPT_ID, { client_id: CLIENT }, ['9']]);
    expect(graph).toEqual(vectors.post_prompt_request.prompt);
    expect(entry.meta).toEqual(expected.meta);
    const status = entry.status as { status_str: string; completed: boolean; messages: Array<[string, unknown]> };
    expect([status.status_str, status.completed]).toEqual(['success', true]);
    expect(status.messages.map(([type]) => type)).toEqual(['execution_start', 'execution_cached', 'execution_success']);
    expect((entry.outputs as Record<string, unknown>)['9']).toEqual(ws.messages.find((m) => m.type === 'executed')?.data.output);
  });

  it('serves the video through /view: h264, 512x512, 24 frames at 8 fps', async () => {
    const response = await fetch(`${sim.url}/view?filename=job_abc123_00001.mp4&type=output&subfolder=`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(scratch, 'downloaded.mp4');
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), createWriteStream(file));
    expect(await probeVideo(file)).toEqual({ codec_name: 'h264', width: 512, height: 512, nb_read_frames: '24', r_frame_rate: '8/1', pix_fmt: 'yuv420p' });
  });

  it('runs an identical graph from cache: same outputs, nothing executed', async () => {
    const from = ws.messages.length;
    const promptId = await submit(sim, vectors.post_prompt_request.prompt, CLIENT);
    await ws.waitForEnd(promptId);
    const received = ws.messages.slice(from);
    const cached = received.find((m) => m.type === 'execution_cached');
    expect(cached?.data.nodes).toEqual(['1', '2', '3', '4', '5', '6', '8', '9']);
    expect(shape(received)).toEqual(['status', 'status', 'execution_start', 'execution_cached', 'executed', 'execution_success', 'status', 'executing']);
    const outputsOf = async (id: string) => ((await getJson(sim, `/history/${id}`))[id] as { outputs: unknown }).outputs;
    expect(await outputsOf(promptId)).toEqual(await outputsOf(PROMPT_ID));
    expect((await readdir(sim.dirs.output)).sort()).toEqual(['job_abc123_00001.mp4', 'job_abc123_00001.png']);
  });

  it('serves every route under /api too', async () => {
    const history = await getJson(sim, `/api/history/${PROMPT_ID}`);
    expect(Object.keys(history)).toEqual([PROMPT_ID]);
    const info = await getJson(sim, '/api/object_info/VHS_VideoCombine');
    expect(Object.keys(info)).toEqual(['VHS_VideoCombine']);
  });
});
