import { EventEmitter } from 'node:events';
import type { AttemptRequest } from '@vidgen/contract';
import type { WorkerServices } from '../services';
import { claimForGpu } from './claim-for-gpu';
import { RunStopped } from '@vidgen/runner';
import { runOnGpu } from './run-on-gpu';

export type IntakeAnswer =
  | { status: 'accepted'; leaseExpiresAt: Date }
  | { status: 'already_claimed' | 'stale' }
  | { status: 'full' }
  | { status: 'draining' };

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Holds this worker's capacity. An attempt is accepted only once its lease is claimed, so the
 * dispatcher's 202 means "it runs here"; a slot is reserved before the claim so that concurrent
 * requests cannot overbook the GPU.
 */
export class AttemptManager extends EventEmitter<{ changed: [number] }> {
  private reserved = 0;
  private readonly running = new Map<string, Running>();
  private draining = false;
  /** The fleet controller asked this worker to drain (`drainRequestedAt` on its record); unlike a shutdown, it can be taken back. */
  private held = false;
  /** What this worker's GPU costs an hour, recorded on each attempt at its claim: its fleet pod's rate once known, else GPU_COST_PER_HOUR. */
  usdPerHour: number;

  constructor(private readonly services: WorkerServices) {
    super();
    this.usdPerHour = services.config.GPU_COST_PER_HOUR;
    services.metrics.capacity.set(services.config.MAX_CONCURRENT_JOBS);
  }

  get load(): number {
    return this.reserved;
  }

  get isDraining(): boolean {
    return this.draining || this.held;
  }

  /** Takes no new work while `on`, and finishes what runs: the fleet is scaling this pod down. Says whether that changed anything. */
  hold(on: boolean): boolean {
    const changed = this.held !== on;
    this.held = on;
    return changed;
  }

  async offer(request: AttemptRequest): Promise<IntakeAnswer> {
    if (this.isDraining) return { status: 'draining' };
    if (this.reserved >= this.services.config.MAX_CONCURRENT_JOBS) return { status: 'full' };
    this.setReserved(this.reserved + 1);
    const { config, jobs, log } = this.services;
    try {
      const claimed = await claimForGpu(jobs, request, { workerId: config.WORKER_ID, leaseMs: config.LEASE_SECONDS * 1000, usdPerHour: this.usdPerHour });
      if (!claimed.ok) {
        this.setReserved(this.reserved - 1);
        return { status: claimed.refusal === 'already_claimed' ? 'already_claimed' : 'stale' };
      }
      const key = `${request.jobId}#${request.attemptIndex}`;
      const controller = new AbortController();
      const runLog = log.child({ jobId: request.jobId, attemptIndex: request.attemptIndex, tier: request.tier });
      const startedAt = Date.now();
      const done = runOnGpu(
        this.services,
        { jobId: request.jobId, job: claimed.job, leaseToken: claimed.leaseToken, claimedAt: startedAt, promptId: claimed.promptId },
        controller,
        runLog,
      )
        .catch((error: Error) => runLog.error({ err: error.message, stack: error.stack }, 'Attempt runner crashed'))
        .finally(() => {
          this.running.delete(key);
          this.services.metrics.attemptSeconds.observe((Date.now() - startedAt) / 1000);
          this.setReserved(this.reserved - 1);
        });
      this.running.set(key, { controller, done });
      runLog.info('Attempt accepted');
      return { status: 'accepted', leaseExpiresAt: claimed.job.attempt.leaseExpiresAt };
    } catch (error) {
      this.setReserved(this.reserved - 1);
      throw error;
    }
  }

  private setReserved(value: number): void {
    this.reserved = value;
    this.services.metrics.running.set(value);
    this.emit('changed', value);
  }

  /**
   * Stops taking work and waits for what runs, up to `graceMs`; attempts still running then are
   * handed back (finished as `worker_shutdown`, a retryable failure) so another worker takes them now
   * rather than after their lease runs out.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    const timedOut = await Promise.race([all().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (timedOut) {
      for (const run of this.running.values()) run.controller.abort(new RunStopped('shutdown'));
      await all();
    }
  }
}
