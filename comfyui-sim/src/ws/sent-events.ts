import type { ComfyWsMessage } from './messages';

/** One WebSocket message the simulator wrote to at least one socket, with when it was written. */
export interface SentEvent {
  /** Milliseconds since the epoch, taken right after the socket writes. */
  sentAt: number;
  promptId: string;
  type: ComfyWsMessage['type'];
  data: ComfyWsMessage['data'];
  /** How many sockets it was written to (a broadcast may reach several). */
  recipients: number;
}

/**
 * The most recent prompt messages the simulator sent, oldest first, bounded so that a long-running
 * simulator does not grow without end. Sim-only (`GET /sim/events`): lets benchmarks compare what
 * the GPU reported with when a client saw it.
 */
export class SentEventLog {
  private readonly events: SentEvent[] = [];

  constructor(private readonly capacity = 5000) {}

  /** Records a message that carries a prompt id; others (status, feature flags) are not kept. */
  record(message: ComfyWsMessage, recipients: number, sentAt = Date.now()): void {
    const promptId = (message.data as { prompt_id?: unknown }).prompt_id;
    if (recipients === 0 || typeof promptId !== 'string') return;
    this.events.push({ sentAt, promptId, type: message.type, data: message.data, recipients });
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
  }

  /** The retained events of one prompt, or all of them. */
  list(promptId?: string): SentEvent[] {
    return promptId === undefined ? [...this.events] : this.events.filter((event) => event.promptId === promptId);
  }

  get size(): number {
    return this.events.length;
  }
}
