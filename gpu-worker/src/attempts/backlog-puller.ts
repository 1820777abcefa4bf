import { COLLECTIONS, type Tier } from '@vidgen/contract';
import type { WorkerServices } from '../services';
import type { AttemptManager } from './attempt-manager';

const BATCH = 10;

/**
 * Keeps the GPU busy: the moment a slot frees (and every heartbeat), the worker claims the oldest
 * pending ComfyUI attempts for its tiers itself, instead of waiting for Cloud Tasks to retry an
 * offer it refused while full (the queue's backoff can be longer than a whole GPU run). The claim
 * is the same fenced transaction the intake uses, so a dispatcher offering the same attempt
 * concurrently gets 409 and nothing runs twice.
 */
export class BacklogPuller {
  private pulling = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly services: WorkerServices,
    private readonly manager: AttemptManager,
    private readonly tiersReady: () => Tier[],
  ) {}

  start(): void {
    this.manager.on('changed', () => void this.pull());
    this.timer = setInterval(() => void this.pull(), this.services.config.HEARTBEAT_SECONDS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private hasRoom(): boolean {
    return !this.manager.isDraining && this.manager.load < this.services.config.MAX_CONCURRENT_JOBS;
  }

  async pull(): Promise<void> {
    if (this.pulling || !this.hasRoom()) return;
    this.pulling = true;
    try {
      const tiers = this.tiersReady();
      if (tiers.length === 0) return;
      const pending = await this.services.db
        .collection(COLLECTIONS.jobs)
        .where('attempt.state', '==', 'pending')
        .where('attempt.backend', '==', 'comfyui')
        .orderBy('attempt.createdAt')
        .limit(BATCH)
        .get();
      for (const doc of pending.docs) {
        if (!this.hasRoom()) break;
        const tier = doc.get('attempt.tier') as Tier;
        if (!tiers.includes(tier)) continue;
        const answer = await this.manager.offer({ jobId: doc.id, attemptIndex: doc.get('attempt.index') as number, tier });
        if (answer.status === 'accepted') this.services.log.info({ jobId: doc.id, tier }, 'Pulled a pending attempt from the backlog');
      }
    } catch (error) {
      this.services.log.warn({ err: (error as Error).message }, 'Could not pull pending attempts');
    } finally {
      this.pulling = false;
    }
  }
}
