import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import WebSocket from 'ws';
import { createComfySimulator, type ComfySimulator, type ComfySimulatorOptions } from '../../src/simulator';
import vectorsJson from '../fixtures/comfyui-vectors.json';

/** Representative ComfyUI 0.3.64 traffic, which the simulator must reproduce. */
export const vectors = vectorsJson;

/** Timing that keeps a whole prompt well under a second. */
export const FAST = { modelLoadMs: 5, stepMs: 5, decodeMs: 5, frameMs: 1 };

/** A loosely typed WebSocket message, as a client sees it. */
export interface WsMessage {
  type: string;
  data: Record<string, unknown>;
}

/** Starts a simulator on a free port with fast timing and no log output. */
export function startSim(options: ComfySimulatorOptions = {}): Promise<ComfySimulator> {
  return createComfySimulator({ port: 0, logLevel: 'silent', ...options, timing: { ...FAST, ...options.timing } });
}

/** A WebSocket client that records every message. */
export class WsClient {
  readonly messages: WsMessage[] = [];
  private closeWaiters: Array<(code: number) => void> = [];
  closeCode: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.messages.push(JSON.parse(data.toString()) as WsMessage));
    socket.on('close', (code: number) => {
      this.closeCode = code;
      for (const waiter of this.closeWaiters) waiter(code);
    });
    socket.on('error', () => undefined);
  }

  /** Opens `/ws?clientId=...` and waits for the connection. */
  static async connect(sim: ComfySimulator, clientId: string, path = '/ws'): Promise<WsClient> {
    const socket = new WebSocket(`${sim.url.replace(/^http/, 'ws')}${path}?clientId=${encodeURIComponent(clientId)}`);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** The first message (from `from` on) matching `predicate`, waiting for it if needed. */
  async waitFor(predicate: (message: WsMessage) => boolean, timeoutMs = 8000, from = 0): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a message; got ${this.messages.map((m) => m.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The end of a prompt: `executing` with `node: null` and its prompt_id. */
  waitForEnd(promptId: string, timeoutMs = 8000): Promise<WsMessage> {
    return this.waitFor((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId, timeoutMs);
  }

  /** Resolves with the close code once the socket is closed. */
  waitClosed(): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Messages of one prompt, without the progress_state ones. */
  forPrompt(promptId: string): WsMessage[] {
    return this.messages.filter((m) => m.type !== 'progress_state' && (m.type === 'status' || m.data.prompt_id === promptId));
  }

  close(): void {
    this.socket.close();
  }
}

/** Sends a JSON POST and returns status and parsed body (text when not JSON). */
export async function postJson(sim: ComfySimulator, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/** GETs JSON. */
export async function getJson<T = Record<string, unknown>>(sim: ComfySimulator, path: string): Promise<T> {
  const response = await fetch(`${sim.url}${path}`);
  return (await response.json()) as T;
}

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The vectors' AnimateDiff graph with some values changed. */
export function animateDiffGraph(change: { seed?: number; frames?: number; steps?: number; size?: number; prefix?: string; text?: string } = {}): Graph {
  const graph = structuredClone(vectors.post_prompt_request.prompt) as Graph;
  const set = (id: string, name: string, value: unknown) => {
    if (value !== undefined) (graph[id] as Graph[string]).inputs[name] = value;
  };
  set('6', 'seed', change.seed);
  set('6', 'steps', change.steps);
  set('5', 'batch_size', change.frames);
  set('5', 'width', change.size);
  set('5', 'height', change.size);
  set('9', 'filename_prefix', change.prefix);
  set('3', 'text', change.text);
  return graph;
}

/** Submits a graph for a client and returns the prompt_id. */
export async function submit(sim: ComfySimulator, prompt: unknown, clientId: string, promptId?: string): Promise<string> {
  const { status, body } = await postJson(sim, '/prompt', { prompt, client_id: clientId, ...(promptId ? { prompt_id: promptId } : {}) });
  if (status !== 200) throw new Error(`POST /prompt: ${status} ${JSON.stringify(body)}`);
  return (body as { prompt_id: string }).prompt_id;
}

/** Polls `/history/{id}` until the entry appears. */
export async function waitForHistory(sim: ComfySimulator, promptId: string, timeoutMs = 8000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const history = await getJson(sim, `/history/${promptId}`);
    const entry = history[promptId];
    if (entry) return entry as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`no history for ${promptId}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Stream facts ffprobe reports about a video file's first video stream. */
export async function probeVideo(file: string): Promise<{ codec_name: string; width: number; height: number; nb_read_frames: string; r_frame_rate: string; pix_fmt: string }> {
  const { stdout } = await promisify(execFile)(ffprobeInstaller.path, [
    '-v', 'error', '-select_streams', 'v:0', '-count_frames',
    '-show_entries', 'stream=codec_name,width,height,nb_read_frames,r_frame_rate,pix_fmt', '-of', 'json', file,
  ]);
  return (JSON.parse(stdout) as { streams: Array<Awaited<ReturnType<typeof probeVideo>>> }).streams[0] as Awaited<ReturnType<typeof probeVideo>>;
}
