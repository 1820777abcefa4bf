import type { Logger } from '../logger';
import type { ComfyClient } from './client';
import { ComfyError, executionFailure } from './errors';
import { outputFiles, promptIdOf, type ComfyMessage, type HistoryEntry, type OutputFile } from './messages';
import type { ComfySocket } from './socket';

export type PromptEvent =
  | { kind: 'started' }
  | { kind: 'node'; nodeId: string }
  | { kind: 'progress'; nodeId: string | null; value: number; max: number };

export interface FollowOptions {
  client: ComfyClient;
  socket: ComfySocket;
  promptId: string;
  signal: AbortSignal;
  historyPollMs: number;
  stallMs: number;
  log: Logger;
  onEvent: (event: PromptEvent) => void;
}

/** Two polls in a row that find the prompt in neither the queue nor the history mean it is gone. */
const MISSES_BEFORE_LOST = 2;

/**
 * Follows one queued prompt to its end through the WebSocket and, beside it, a slow `/history`
 * poll, so a dropped socket or a lost `executing: null` never loses a result. Resolves with the
 * output files; rejects with a {@link ComfyError}, or with the signal's reason when aborted (after
 * removing or interrupting the prompt in ComfyUI).
 */
export function followPrompt(options: FollowOptions): Promise<OutputFile[]> {
  const { client, socket, promptId, signal, log } = options;
  return new Promise<OutputFile[]>((resolve, reject) => {
    let settled = false;
    let misses = 0;
    let lastActivity = Date.now();
    let lastReached = Date.now();
    let checking = false;

    const finish = (error: Error | null, files?: OutputFile[]) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      socket.off('message', onMessage);
      socket.off('reconnected', onReconnected);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(files ?? []);
    };

    const fromHistory = (entry: HistoryEntry): void => {
      const failure = entry.status?.messages.find(([type]) => type === 'execution_error');
      if (failure) return finish(executionFailure(failure[1]));
      if (entry.status?.messages.some(([type]) => type === 'execution_interrupted')) {
        return finish(new ComfyError('execution_failed', 'ComfyUI interrupted the workflow.'));
      }
      const files = outputFiles(entry.outputs);
      if (files.length === 0) return finish(new ComfyError('output_missing', 'ComfyUI finished the workflow but listed no output file.'));
      finish(null, files);
    };

    /** Reconciles with ComfyUI's own record: history first, then the queue. */
    const check = async (): Promise<void> => {
      if (settled || checking) return;
      checking = true;
      try {
        const entry = await client.history(promptId);
        lastReached = Date.now();
        if (entry && (entry.status?.completed || entry.status?.status_str === 'error' || Object.keys(entry.outputs).length > 0)) {
          return fromHistory(entry);
        }
        const queue = await client.queue();
        const running = queue.running.includes(promptId);
        if (running || queue.pending.includes(promptId) || entry) {
          misses = 0;
          if (!running) lastActivity = Date.now();
          else if (Date.now() - lastActivity > options.stallMs) {
            await client.cancelPrompt(promptId).catch(() => undefined);
            finish(new ComfyError('stalled', `ComfyUI reported nothing on the workflow for ${Math.round(options.stallMs / 1000)} s.`));
          }
          return;
        }
        misses += 1;
        if (misses >= MISSES_BEFORE_LOST) finish(new ComfyError('prompt_lost', 'ComfyUI no longer knows the workflow (it may have restarted).'));
      } catch (error) {
        if (Date.now() - lastReached > options.stallMs) {
          finish(new ComfyError('unreachable', `ComfyUI has not answered for ${Math.round(options.stallMs / 1000)} s: ${(error as Error).message}`));
        } else {
          log.warn({ err: (error as Error).message }, 'Could not reconcile with ComfyUI; will retry');
        }
      } finally {
        checking = false;
      }
    };

    /** The end signal comes right after history is written; retry briefly in case it lags. */
    const collect = async (): Promise<void> => {
      for (let i = 0; i < 10 && !settled; i += 1) {
        const entry = await client.history(promptId).catch(() => null);
        if (entry) return fromHistory(entry);
        await new Promise((r) => setTimeout(r, 100 * (i + 1)));
      }
      void check();
    };

    const onMessage = (message: ComfyMessage): void => {
      if (settled) return;
      const id = promptIdOf(message);
      if (message.type === 'executing' && id === undefined && message.data.node !== null) {
        lastActivity = Date.now(); // replayed on reconnect for our client's running prompt
        return;
      }
      if (id !== promptId) return;
      lastActivity = Date.now();
      switch (message.type) {
        case 'execution_start':
          return options.onEvent({ kind: 'started' });
        case 'executing':
          if (message.data.node === null) void collect();
          else options.onEvent({ kind: 'node', nodeId: message.data.node });
          return;
        case 'progress':
          return options.onEvent({ kind: 'progress', nodeId: message.data.node ?? null, value: message.data.value, max: message.data.max });
        case 'execution_error':
          return finish(executionFailure(message.data));
        case 'execution_interrupted':
          if (!signal.aborted) finish(new ComfyError('execution_failed', 'ComfyUI interrupted the workflow.'));
          return;
        default:
          return;
      }
    };

    const onReconnected = (): void => void check();

    const onAbort = (): void => {
      client.cancelPrompt(promptId).catch((error: Error) => log.warn({ err: error.message }, 'Could not stop the prompt in ComfyUI'));
      finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };

    // Created before anything can settle the promise: finish() clears it.
    const poll = setInterval(() => void check(), options.historyPollMs);
    poll.unref();
    socket.on('message', onMessage);
    socket.on('reconnected', onReconnected);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
