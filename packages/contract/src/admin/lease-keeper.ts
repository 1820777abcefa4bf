import { EventEmitter } from 'node:events';
import { renewLease, type Refusal } from '../transitions';
import type { JobRepository } from './job-repository';

export interface LeaseKeeperEvents {
  /** The lease is gone: refused by the job, or not renewed within its own length. */
  lost: [Refusal | 'unrenewable'];
  /** A renewal failed for a transient reason; the keeper keeps trying until the lease runs out. */
  renewalFailed: [Error];
}

/** Renews an attempt's lease at half its length until stopped; reports a lost lease as an event. */
export class LeaseKeeper extends EventEmitter<LeaseKeeperEvents> {
  private timer: NodeJS.Timeout | null = null;
  private lastRenewed = Date.now();
  private stopped = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly jobId: string,
    private readonly leaseToken: string,
    private readonly leaseMs: number,
  ) {
    super();
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.leaseMs / 2);
    this.timer.unref();
  }

  /** Renews now; also used right before irreversible steps (upload) to check the lease still holds. */
  async renew(): Promise<boolean> {
    if (this.stopped) return false;
    try {
      const result = await this.jobs.transition(this.jobId, (job, now) => renewLease(job, { leaseToken: this.leaseToken, leaseMs: this.leaseMs, now }));
      if (result.ok) {
        this.lastRenewed = Date.now();
        return true;
      }
      this.lose(result.refusal);
      return false;
    } catch (error) {
      this.emit('renewalFailed', error as Error);
      if (Date.now() - this.lastRenewed > this.leaseMs) this.lose('unrenewable');
      return false;
    }
  }

  private lose(reason: Refusal | 'not_found' | 'unrenewable'): void {
    if (this.stopped) return;
    this.stop();
    this.emit('lost', reason === 'not_found' ? 'job_terminal' : reason);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}
