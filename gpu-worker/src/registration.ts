import { FieldValue, type DocumentSnapshot, type Timestamp } from 'firebase-admin/firestore';
import { COLLECTIONS, FLEET_POD_PREFIX, FLEET_STATE_DOCUMENT, type Tier, type WorkerRecord } from '@vidgen/contract';
import type { AttemptManager } from './attempts/attempt-manager';
import { inspectComfy } from './health';
import type { WorkerServices } from './services';

/** How often the worker re-reads ComfyUI's models and nodes for its record. */
const INSPECT_EVERY_MS = 60_000;

/**
 * Keeps `workers/{workerId}` current: URL, capacity, running count, the tiers whose models and nodes
 * ComfyUI has, and a heartbeat. The dispatcher only offers work to fresh, ready records. It watches
 * its own record for the fleet controller's drain mark and acknowledges it at once, so that a pod
 * scaled down is paid for no longer than its last attempt takes; each heartbeat reads the mark
 * too, in case the listener has failed.
 */
export class WorkerRegistration {
  private timer: NodeJS.Timeout | null = null;
  private unwatch: (() => void) | null = null;
  private stopped = false;
  private readonly beating = new Set<Promise<void>>();
  /** When the newest read of the record whose drain mark was applied was made: an older read that arrives later is ignored. */
  private markReadAt: Timestamp | null = null;
  /** The fleet pod's rate from fleet/state, once read; null for a worker the fleet did not start, or before the controller listed it. */
  private podRate: number | null = null;
  private readonly startedAt = new Date();
  private ready: Tier[] = [];
  private modelsLoaded: string[] = [];
  private comfyuiVersion: string | null = null;
  private gpu: string | null = null;
  private inspectedAt = 0;

  constructor(private readonly services: WorkerServices, private readonly manager: AttemptManager, private readonly url: string) {
    manager.on('changed', () => void this.beat());
  }

  /** The tiers whose nodes and models ComfyUI had at the last inspection. */
  get tiersReady(): Tier[] {
    return this.ready;
  }

  private get ref() {
    return this.services.db.collection(COLLECTIONS.workers).doc(this.services.config.WORKER_ID);
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.services.config.HEARTBEAT_SECONDS * 1000);
    this.timer.unref();
    this.unwatch = this.ref.onSnapshot(
      (own) => {
        if (this.applyDrainMark(own)) void this.beat();
      },
      (error) => this.services.log.warn({ err: error.message }, 'Stopped watching this worker\'s record; heartbeats still read the drain mark'),
    );
  }

  /** Writes the record now; nothing once {@link stop} has begun, so that a beat never brings back the record it removed. */
  beat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const beat = this.writeRecord().finally(() => this.beating.delete(beat));
    this.beating.add(beat);
    return beat;
  }

  /**
   * Takes the fleet controller's drain mark from a read of the record, unless a newer read was applied
   * already (a heartbeat's read can arrive after the listener's); says whether the hold changed. A
   * record that is gone changes nothing: the fleet removes it when it stops the pod.
   */
  private applyDrainMark(own: DocumentSnapshot): boolean {
    if (this.markReadAt !== null && own.readTime.toMillis() < this.markReadAt.toMillis()) return false;
    this.markReadAt = own.readTime;
    return own.exists && this.manager.hold(Boolean(own.get('drainRequestedAt')));
  }

  private async writeRecord(): Promise<void> {
    const { config, log } = this.services;
    try {
      if (Date.now() - this.inspectedAt > INSPECT_EVERY_MS) await this.inspect();
      else if (this.podRate === null && config.WORKER_ID.startsWith(FLEET_POD_PREFIX)) await this.readPodRate();
      // The fleet controller marks the record to scale this pod down; the state written below acknowledges it.
      const own = await this.ref.get();
      this.applyDrainMark(own);
      // Removed while draining: the fleet is stopping this pod, and a record written now would offer it work again.
      if (!own.exists && this.manager.isDraining) return;
      const record: Omit<WorkerRecord, 'heartbeatAt'> = {
        workerId: config.WORKER_ID,
        url: this.url,
        state: this.manager.isDraining ? 'draining' : 'ready',
        capacity: config.MAX_CONCURRENT_JOBS,
        running: this.manager.load,
        tiersReady: this.ready,
        pullsBacklog: config.PULL_PENDING_ATTEMPTS,
        modelsLoaded: this.modelsLoaded,
        comfyuiVersion: this.comfyuiVersion,
        gpu: this.gpu,
        usdPerHour: this.manager.usdPerHour,
        startedAt: this.startedAt,
      };
      if (this.stopped) return;
      // Firestore's clock: the dispatcher judges freshness at its read time, whatever this machine's clock says.
      // Merged, so that the controller's drainRequestedAt survives the heartbeat.
      await this.ref.set({ ...record, heartbeatAt: FieldValue.serverTimestamp() }, { merge: true });
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'Heartbeat failed');
    }
  }

  private async inspect(): Promise<void> {
    const report = await inspectComfy(this.services);
    this.ready = report.workflows.filter((w) => w.ready).map((w) => w.tier);
    this.modelsLoaded = report.workflows.flatMap((w) => w.modelsPresent);
    this.comfyuiVersion = report.comfyuiVersion;
    this.gpu = report.gpu?.name ?? null;
    this.inspectedAt = report.reachable ? Date.now() : 0;
    await this.readPodRate();
  }

  /**
   * Reads the hourly rate RunPod bills for this worker's pod, when it is a fleet pod: the controller
   * lists its pods' rates in `fleet/state` (a pod may run on any GPU type of the fleet's list, each at
   * its own price). Attempts are costed at it, else at GPU_COST_PER_HOUR; a failed read keeps the
   * rate known before.
   */
  private async readPodRate(): Promise<void> {
    try {
      const pods: unknown = (await this.services.db.doc(FLEET_STATE_DOCUMENT).get()).get('pods');
      const own = Array.isArray(pods) ? (pods as Array<{ name?: unknown; costPerHour?: unknown }>).find((pod) => pod.name === this.services.config.WORKER_ID) : undefined;
      if (typeof own?.costPerHour === 'number' && own.costPerHour > 0) this.podRate = own.costPerHour;
    } catch (error) {
      this.services.log.warn({ err: (error as Error).message }, 'Could not read this pod\'s rate from fleet/state');
    }
    this.manager.usdPerHour = this.podRate ?? this.services.config.GPU_COST_PER_HOUR;
  }

  /** Removes the record so that dispatch stops at once rather than after the heartbeat goes stale. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.beating]);
    await this.ref.delete().catch(() => undefined);
  }
}
