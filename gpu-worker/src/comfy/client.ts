import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { FormData, request } from 'undici';
import { ComfyError, promptRejection } from './errors';
import { HistoryEntrySchema, type HistoryEntry, type OutputFile } from './messages';

export type Graph = Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string } }>;

export interface QueueState {
  running: string[];
  pending: string[];
}

export interface ObjectInfoNode {
  input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> };
  output?: string[];
}

const TIMEOUT_MS = 30_000;

/** ComfyUI's HTTP API, as a remote client sees it. */
export class ComfyClient {
  constructor(readonly baseUrl: string) {}

  /** Joins a route onto the base URL, keeping any path prefix (ComfyUI behind a reverse proxy). */
  private url(path: string): string {
    return comfyUrl(this.baseUrl, path);
  }

  private async json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const response = await request(this.url(path), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: text ? safeJson(text) : null };
    } catch (error) {
      throw new ComfyError('unreachable', `ComfyUI at ${this.baseUrl} did not answer ${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Queues a workflow under our own ids. A 400 or non-empty `node_errors` becomes a {@link ComfyError} saying what is missing. */
  async submitPrompt(graph: Graph, ids: { promptId: string; clientId: string }): Promise<{ number: number }> {
    const { status, body } = await this.json('POST', '/prompt', { prompt: graph, client_id: ids.clientId, prompt_id: ids.promptId });
    const answer = (body ?? {}) as { prompt_id?: string; number?: number; node_errors?: Record<string, unknown> };
    if (status === 400 || (status === 200 && Object.keys(answer.node_errors ?? {}).length > 0)) throw promptRejection(body);
    if (status !== 200) throw new ComfyError('execution_failed', `ComfyUI answered ${status} to POST /prompt`);
    return { number: answer.number ?? 0 };
  }

  /** The history entry of a prompt, or null while ComfyUI has none (queued, running, or lost). */
  async history(promptId: string): Promise<HistoryEntry | null> {
    const { status, body } = await this.json('GET', `/history/${encodeURIComponent(promptId)}`);
    if (status !== 200 || !body || typeof body !== 'object') return null;
    const entry = (body as Record<string, unknown>)[promptId];
    if (!entry) return null;
    const parsed = HistoryEntrySchema.safeParse(entry);
    return parsed.success ? parsed.data : null;
  }

  async queue(): Promise<QueueState> {
    const { body } = await this.json('GET', '/queue');
    const payload = (body ?? {}) as { queue_running?: unknown[][]; queue_pending?: unknown[][] };
    const ids = (items: unknown[][] | undefined) => (items ?? []).map((item) => String(item[1]));
    return { running: ids(payload.queue_running), pending: ids(payload.queue_pending) };
  }

  /** Stops a prompt: removed if still pending, interrupted if running (both are harmless otherwise). */
  async cancelPrompt(promptId: string): Promise<void> {
    await this.json('POST', '/queue', { delete: [promptId] });
    await this.json('POST', '/interrupt', { prompt_id: promptId });
  }

  /** Forgets a finished prompt's history entry (`POST /history {delete}`), so a months-long ComfyUI process does not keep it. */
  async deleteHistory(promptId: string): Promise<void> {
    const { status } = await this.json('POST', '/history', { delete: [promptId] });
    if (status !== 200) throw new ComfyError('unreachable', `ComfyUI answered ${status} to POST /history`);
  }

  /** Streams an output file to disk without holding it in memory. */
  async download(file: OutputFile, destination: string): Promise<void> {
    const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
    const response = await request(this.url(`/view?${query.toString()}`), { method: 'GET', headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new ComfyError('output_missing', `ComfyUI answered ${response.statusCode} for output ${file.filename}`);
    }
    await pipeline(response.body, createWriteStream(destination));
  }

  /** Uploads an input image; ComfyUI may rename it, so use the returned name in LoadImage. */
  async uploadImage(name: string, bytes: Blob): Promise<string> {
    const form = new FormData();
    form.set('image', bytes, name);
    form.set('type', 'input');
    form.set('overwrite', 'true');
    let status: number;
    let text: string;
    try {
      const response = await request(this.url('/upload/image'), { method: 'POST', body: form, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new ComfyError('unreachable', `ComfyUI at ${this.baseUrl} did not take the reference image: ${(error as Error).message}`, { cause: error });
    }
    const body = safeJson(text) as { name?: unknown } | null;
    if (status !== 200 || typeof body?.name !== 'string') throw new ComfyError('input_image_missing', `ComfyUI refused the reference image (${status}).`);
    return body.name;
  }

  async objectInfo(classType: string): Promise<ObjectInfoNode | null> {
    const { status, body } = await this.json('GET', `/object_info/${encodeURIComponent(classType)}`);
    const node = status === 200 ? (body as Record<string, ObjectInfoNode>)[classType] : undefined;
    return node ?? null;
  }

  async models(folder: string): Promise<string[]> {
    const { status, body } = await this.json('GET', `/models/${encodeURIComponent(folder)}`);
    return status === 200 && Array.isArray(body) ? body.map(String) : [];
  }

  async systemStats(): Promise<SystemStats> {
    const { status, body } = await this.json('GET', '/system_stats');
    if (status !== 200) throw new ComfyError('unreachable', `ComfyUI answered ${status} to /system_stats`);
    return body as SystemStats;
  }
}

export interface SystemStats {
  system: { comfyui_version?: string; [key: string]: unknown };
  devices: Array<{ name: string; type?: string; vram_total?: number; vram_free?: number }>;
}

export function comfyUrl(baseUrl: string, path: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(path.replace(/^\//, ''), base).toString();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
