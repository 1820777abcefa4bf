import type { Graph } from '../validation/types';
import type { QueueStatus } from '../ws/messages';

/** A queued prompt. */
export interface QueuedPrompt {
  number: number;
  promptId: string;
  prompt: Graph;
  extraData: Record<string, unknown>;
  outputs: string[];
}

/** A queue item as `/queue` and `/history` show it: `[number, prompt_id, prompt, extra_data, outputs]`. */
export type QueueItemTuple = [number, string, Graph, Record<string, unknown>, string[]];

/** The tuple form of a queued prompt. */
export function toTuple(item: QueuedPrompt): QueueItemTuple {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

/**
 * ComfyUI's PromptQueue: pending prompts ordered by `number` (lower first), one running at a time.
 * Every change calls `onChange`, where the server broadcasts the queue status.
 */
export class PromptQueue {
  private pending: Array<QueuedPrompt & { seq: number }> = [];
  private runningItem: QueuedPrompt | undefined;
  private nextNumber = 0;
  private seq = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly onChange: () => void) {}

  /** The number for a new prompt: the next counter value, negated for `front`. */
  allocateNumber(front: boolean): number {
    const number = this.nextNumber;
    this.nextNumber += 1;
    return front ? -number : number;
  }

  /** Queues a prompt. */
  put(item: QueuedPrompt): void {
    this.pending.push({ ...item, seq: this.seq++ });
    this.pending.sort((a, b) => a.number - b.number || a.seq - b.seq);
    this.onChange();
    this.wake?.();
  }

  /** Takes the next prompt and marks it running, or undefined when none is pending. */
  take(): QueuedPrompt | undefined {
    const next = this.pending.shift();
    if (!next) return undefined;
    const { seq: _seq, ...item } = next;
    this.runningItem = item;
    this.onChange();
    return item;
  }

  /** Resolves when a prompt is pending (at once if one is), or when `signal` aborts. */
  async waitForWork(signal: AbortSignal): Promise<void> {
    if (this.pending.length > 0 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.wake = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done);
    });
  }

  /** Marks the running prompt finished. `notify` false for a prompt that silently vanishes. */
  finish(notify = true): void {
    this.runningItem = undefined;
    if (notify) this.onChange();
  }

  /** The running prompt, if any. */
  get running(): QueuedPrompt | undefined {
    return this.runningItem;
  }

  /** Pending prompts in execution order. */
  pendingItems(): QueuedPrompt[] {
    return this.pending.map(({ seq: _seq, ...item }) => item);
  }

  /** Removes pending prompts with these ids (running ones are untouched). */
  delete(promptIds: readonly unknown[]): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((item) => !promptIds.includes(item.promptId));
    if (this.pending.length !== before) this.onChange();
  }

  /** Removes every pending prompt. */
  clear(): void {
    this.pending = [];
    this.onChange();
  }

  /** ComfyUI's queue_remaining: pending plus running. */
  status(): QueueStatus {
    return { exec_info: { queue_remaining: this.pending.length + (this.runningItem ? 1 : 0) } };
  }
}
