import { FieldValue } from 'firebase-admin/firestore';
import { COLLECTIONS, FLEET_STATE_DOCUMENT, type Tier, type WorkerRecord } from '@vidgen/contract';
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
        if (own.exists && this.manager.hold(Boolean(own.get('drainRequestedAt')))) void this.beat();
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

  private async writeRecord(): Promise<void> {
    const { config, log } = this.services;
    try {
      if (Date.now() - this.inspectedAt > INSPECT_EVERY_MS) await this.inspect();
      // The fleet controller marks the record to scale this pod down; the state written below acknowledges it.
      const own = await this.ref.get();
      this.manager.hold(Boolean(own.get('drainRequestedAt')));
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
      // Firestore's clock: the dispatcher judges freshness at its read time, whatever this machine's clock says.
      if (this.stopped) return;
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
    this.manager.usdPerHour = (await this.fleetPodRate()) ?? this.services.config.GPU_COST_PER_HOUR;
  }

  /**
   * The hourly rate RunPod bills for this worker's pod, when it is a fleet pod: the controller lists
   * its pods' rates in `fleet/state` (a pod may run on any GPU type of the fleet's list, each at its
   * own price). Null for a worker the fleet did not start, or before the controller has listed it.
   */
  private async fleetPodRate(): Promise<number | null> {
    try {
      const pods: unknown = (await this.services.db.doc(FLEET_STATE_DOCUMENT).get()).get('pods');
      const own = Array.isArray(pods) ? (pods as Array<{ name?: unknown; costPerHour?: unknown }>).find((pod) => pod.name === this.services.config.WORKER_ID) : undefined;
      return typeof own?.costPerHour === 'number' && own.costPerHour > 0 ? own.costPerHour : null;
    } catch (error) {
      this.services.log.warn({ err: (error as Error).message }, 'Could not read this pod\'s rate from fleet/state; using GPU_COST_PER_HOUR');
      return null;
    }
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
