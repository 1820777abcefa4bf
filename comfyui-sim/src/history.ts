import type { QueueItemTuple } from './execution/queue';

/** Status of a finished prompt, as history shows it. */
export interface HistoryStatus {
  status_str: 'success' | 'error';
  completed: boolean;
  messages: Array<[string, Record<string, unknown>]>;
}

/** One `/history` entry. */
export interface HistoryEntry {
  prompt: QueueItemTuple;
  outputs: Record<string, Record<string, unknown>>;
  status: HistoryStatus;
  meta: Record<string, Record<string, unknown>>;
}

/** ComfyUI keeps this many entries, dropping the oldest. */
const MAXIMUM_HISTORY_SIZE = 10000;

/** Finished prompts, in memory only, oldest first. */
export class History {
  private readonly entries = new Map<string, HistoryEntry>();
  /**
   * Every finished prompt, kept after a client deletes it from the history (the worker does, once
   * it has collected the output), for tests and benchmarks (`GET /sim/history`; not ComfyUI's).
   */
  private readonly archived = new Map<string, HistoryEntry>();

  /** Stores a finished prompt. */
  add(promptId: string, entry: HistoryEntry): void {
    if (this.entries.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(promptId, entry);
    if (this.archived.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.archived.keys().next();
      if (!oldest.done) this.archived.delete(oldest.value);
    }
    this.archived.set(promptId, entry);
  }

  /** Every finished prompt the simulator ran, deleted from the history or not, as `{id: entry}`. */
  archive(): Record<string, HistoryEntry> {
    return Object.fromEntries(this.archived);
  }

  /** `{id: entry}` for a known id, `{}` otherwise. */
  get(promptId: string): Record<string, HistoryEntry> {
    const entry = this.entries.get(promptId);
    return entry ? { [promptId]: entry } : {};
  }

  /** The last `maxItems` entries (all when undefined), starting at `offset` when given. */
  list(maxItems?: number, offset?: number): Record<string, HistoryEntry> {
    const all = [...this.entries];
    const start = offset !== undefined && offset >= 0 ? offset : maxItems !== undefined ? Math.max(0, all.length - maxItems) : 0;
    const slice = all.slice(start, maxItems !== undefined ? start + maxItems : undefined);
    return Object.fromEntries(slice);
  }

  /** Forgets these prompt ids. */
  delete(promptIds: readonly unknown[]): void {
    for (const id of promptIds) if (typeof id === 'string') this.entries.delete(id);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }

  /** How many entries are held. */
  get size(): number {
    return this.entries.size;
  }
}
