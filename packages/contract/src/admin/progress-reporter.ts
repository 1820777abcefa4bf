import type { ProgressUpdate } from '../progress';

/**
 * Coalesces progress into at most one write per `minIntervalMs` (Firestore sustains about one
 * write a second per document): the latest update always lands, intermediate ones are dropped,
 * so the number of writes depends on wall time, not on the number of steps.
 */
export class ProgressReporter {
  private latest: ProgressUpdate | null = null;
  private lastWriteAt = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  writes = 0;

  constructor(private readonly write: (progress: ProgressUpdate) => Promise<void>, private readonly minIntervalMs: number) {}

  update(progress: ProgressUpdate): void {
    if (this.stopped) return;
    this.latest = progress;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.inFlight) return;
    const wait = Math.max(0, this.lastWriteAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flushLatest();
    }, wait);
    this.timer.unref();
  }

  private async flushLatest(): Promise<void> {
    const progress = this.latest;
    if (!progress || this.stopped) return;
    this.latest = null;
    this.lastWriteAt = Date.now();
    this.writes += 1;
    this.inFlight = this.write(progress).catch(() => undefined);
    await this.inFlight;
    this.inFlight = null;
    if (this.latest) this.schedule();
  }

  /** Drops anything not yet written; the final state is written by the attempt's end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }
}
