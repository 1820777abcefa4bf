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

  /** Stores a finished prompt. */
  add(promptId: string, entry: HistoryEntry): void {
    if (this.entries.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(promptId, entry);
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
