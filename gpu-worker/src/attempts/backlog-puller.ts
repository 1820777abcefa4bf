import { COLLECTIONS, type Tier } from '@vidgen/contract';
import { InvalidJobDocument } from '@vidgen/contract/admin';
import type { WorkerServices } from '../services';
import type { AttemptManager } from './attempt-manager';

const BATCH = 10;
/** How soon a pull is repeated while a slot is free and the last one found work it did not get. */
const RETRY_MS = 250;

/**
 * Keeps the GPU busy: the moment a slot frees (and every heartbeat), the worker claims the oldest
 * pending ComfyUI attempts for its tiers itself, instead of waiting for Cloud Tasks to retry an
 * offer it refused while full (the queue's backoff can be longer than a whole GPU run). The claim
 * is the same fenced write the intake uses, so a dispatcher offering the same attempt concurrently
 * gets 409 and nothing runs twice.
 *
 * No free slot stays idle while work waits: a wake-up that arrives during a pull is not dropped but
 * runs another pull right after it (the attempt may have been created after the first one's query),
 * and a pull that leaves a slot free while it saw work for this worker (a claim lost to another
 * runner, a failed read) pulls again within {@link RETRY_MS}, whatever Cloud Tasks does meanwhile.
 */
export class BacklogPuller {
  private pulling: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  /** True while the puller's own offer is in flight. */
  private taking = false;
  /** Jobs already logged as unreadable: they stay in the backlog until someone fixes them; log each once, count every time. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly services: WorkerServices,
    private readonly manager: AttemptManager,
    private readonly tiersReady: () => Tier[],
  ) {}

  start(): void {
    let load = this.manager.load;
    this.manager.on('changed', (now) => {
      // A slot freed (an attempt ended, a dispatcher's claim was lost): pull. Taking one is no reason
      // to, and neither is a claim of the puller's own that it lost: the pull it is in goes on with the
      // next candidate, and pulls again shortly if it got none (see retrySoon).
      if (now < load && !this.taking) void this.pull();
      load = now;
    });
    this.timer = setInterval(() => void this.pull(), this.services.config.HEARTBEAT_SECONDS * 1000);
    this.timer.unref();
    // A worker that (re)starts takes what waited for it at once.
    void this.pull();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
  }

  private hasRoom(): boolean {
    return !this.stopped && !this.manager.isDraining && this.manager.load < this.services.config.MAX_CONCURRENT_JOBS;
  }

  /** Pulls now, or right after the pull in progress; resolves when the pulling it asked for is done. */
  pull(): Promise<void> {
    if (this.pulling) {
      this.again = true;
      return this.pulling;
    }
    if (!this.hasRoom()) return Promise.resolve();
    this.pulling = (async () => {
      let sawWork = false;
      do {
        this.again = false;
        sawWork = await this.pullOnce();
      } while (this.again && this.hasRoom());
      this.pulling = null;
      if (sawWork && this.hasRoom()) this.retrySoon();
    })();
    return this.pulling;
  }

  private retrySoon(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.pull();
    }, RETRY_MS);
    this.retry.unref();
  }

  /** One query and the claims it allows; true when it saw pending work for this worker (taken or not) or could not look. */
  private async pullOnce(): Promise<boolean> {
    try {
      const tiers = this.tiersReady();
      if (tiers.length === 0) return false;
      const pending = await this.services.db
        .collection(COLLECTIONS.jobs)
        .where('attempt.state', '==', 'pending')
        .where('attempt.backend', '==', 'comfyui')
        .orderBy('attempt.createdAt')
        .limit(BATCH)
        .get();
      let sawWork = false;
      for (const doc of pending.docs) {
        if (!this.hasRoom()) break;
        const tier = doc.get('attempt.tier') as Tier;
        if (!tiers.includes(tier)) continue;
        if (await this.take(doc.id, doc.get('attempt.index') as number, tier)) sawWork = true;
      }
      return sawWork;
    } catch (error) {
      this.services.log.warn({ err: (error as Error).message }, 'Could not pull pending attempts');
      return true;
    }
  }

  /**
   * Claims one pending attempt. A failure (a document that does not parse, as when a newer function
   * wrote a schema this image does not know) is logged with the job id and counted, and the pull goes
   * on with the next one: one bad document must not starve the GPU of every job behind it.
   * Says whether it was work this worker may yet get (false for a document it cannot read, so that
   * an unreadable job does not keep the puller busy).
   */
  private async take(jobId: string, attemptIndex: number, tier: Tier): Promise<boolean> {
    this.taking = true;
    try {
      const answer = await this.manager.offer({ jobId, attemptIndex, tier });
      if (answer.status === 'accepted') this.services.log.info({ jobId, tier }, 'Pulled a pending attempt from the backlog');
      return true;
    } catch (error) {
      const reason = error instanceof InvalidJobDocument ? 'unreadable_job' : 'error';
      this.services.metrics.backlogPullFailures.inc({ reason });
      if (reason === 'unreadable_job' && this.reported.has(jobId)) return false;
      if (reason === 'unreadable_job' && this.reported.size < 1000) this.reported.add(jobId);
      this.services.log.error({ jobId, reason, err: (error as Error).message }, 'Could not take a pending attempt from the backlog; going on with the others');
      return reason !== 'unreadable_job';
    } finally {
      this.taking = false;
    }
  }
}
