import { randomUUID } from 'node:crypto';
import { FieldValue, type Firestore, type Timestamp } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions';
import {
  COLLECTIONS,
  FLEET_POD_PREFIX,
  FLEET_SETTINGS_DOCUMENT,
  FLEET_STATE_DOCUMENT,
  readFleetSettings,
  TIER_SPECS,
  TierSchema,
  type EffectiveFleetSettings,
  type WorkerRecord,
} from '@vidgen/contract';
import { createPodOnFirstAvailable, RunpodCapacityError, RunpodNotFoundError, type Pod, type RunpodClient } from '@vidgen/runpod';
import { listWorkers } from '../orchestration/worker-pool';
import { decideFleet, trimHistory, type FleetAction, type FleetDecision, type FleetPodView } from './decide';
import { readFleetHistory, type ActionOutcome } from './fleet-state';
import { fleetPodRequest } from './pod-request';

/** Stable field a log-based metric counts: a fleet action that failed (a create refused on every GPU type, a stop that failed). */
export const FLEET_ACTION_FAILED_METRIC = 'fleet_action_failed';

/**
 * How long a tick holds `fleet/state` against another tick: longer than a tick takes (a few RunPod
 * calls, each retried for at most about a minute), short enough that a tick that died frees it soon.
 */
const TICK_LEASE_MS = 3 * 60_000;

/** The tiers our GPU workers run: their attempts, pending or running, are the demand the fleet serves. */
const GPU_TIERS = TierSchema.options.filter((tier) => TIER_SPECS[tier].defaultBackend === 'comfyui');

export interface FleetLog {
  info(message: string, fields: object): void;
  warn(message: string, fields: object): void;
}

export interface FleetControllerOptions {
  db: Firestore;
  runpod: RunpodClient;
  log?: FleetLog;
  /** A new pod's name; default the fleet prefix and a random suffix. */
  podName?: () => string;
}

/** What one tick saw, decided and did; no decision while autoscaling is off or another tick is running. */
export interface FleetTick {
  settings: EffectiveFleetSettings;
  decision: FleetDecision | null;
  outcomes: ActionOutcome[];
  /** Another tick held the lease on `fleet/state`: this one did nothing. */
  skipped?: boolean;
}

/**
 * Keeps the number of RunPod pods in line with the GPU backlog. Each tick reads `config/fleet`,
 * rebuilds its view from RunPod's pod list (pods named with {@link FLEET_POD_PREFIX}) joined with
 * `workers/{name}`, decides ({@link decideFleet}), acts, and writes `fleet/state`. It keeps no state
 * between ticks but the demand history in `fleet/state`, so a tick that died half-way leaves nothing
 * the next one does not see.
 */
export class FleetController {
  private readonly log: FleetLog;
  private readonly podName: () => string;

  constructor(private readonly options: FleetControllerOptions) {
    this.log = options.log ?? logger;
    this.podName = options.podName ?? (() => `${FLEET_POD_PREFIX}${randomUUID().slice(0, 12)}`);
  }

  async tick(): Promise<FleetTick> {
    const { db } = this.options;
    const reading = readFleetSettings((await db.doc(FLEET_SETTINGS_DOCUMENT).get()).data());
    if (reading.problems.length > 0) {
      this.log.warn(`${FLEET_SETTINGS_DOCUMENT} has fields that were ignored (their defaults apply): ${reading.problems.join('; ')}`, { problems: reading.problems });
    }
    const settings = reading.settings;
    if (!settings.enabled) {
      await db.doc(FLEET_STATE_DOCUMENT).set({ enabled: false, reason: `autoscaling is off (${FLEET_SETTINGS_DOCUMENT} enabled is not true)`, settingsProblems: reading.problems, updatedAt: FieldValue.serverTimestamp() }, { merge: true });
      return { settings, decision: null, outcomes: [] };
    }

    // Two ticks deciding at once would both create the pods the backlog asks for.
    if (!(await this.claimTick())) {
      this.log.info('Fleet: another tick is running; skipping this one', {});
      return { settings, decision: null, outcomes: [], skipped: true };
    }
    try {
      return await this.decideAndAct(settings, reading.problems);
    } catch (error) {
      // Frees the lease at once, so the next tick need not wait for it to run out.
      const message = (error as Error).message;
      await db
        .doc(FLEET_STATE_DOCUMENT)
        .set({ tickLeaseUntil: FieldValue.delete(), lastError: { at: new Date(), message }, updatedAt: FieldValue.serverTimestamp() }, { merge: true })
        .catch(() => undefined);
      this.log.warn(`Fleet: the tick failed: ${message}`, { metric: FLEET_ACTION_FAILED_METRIC, error: message });
      throw error;
    }
  }

  private async decideAndAct(settings: EffectiveFleetSettings, problems: string[]): Promise<FleetTick> {
    const { db, runpod } = this.options;
    const jobs = db.collection(COLLECTIONS.jobs);
    const [pods, { workers, readAt }, backlog, running, state] = await Promise.all([
      runpod.listPods(),
      listWorkers(db),
      jobs.where('attempt.state', '==', 'pending').where('attempt.tier', 'in', GPU_TIERS).count().get(),
      // On any backend: under prefer-comfyui a burst at zero pods runs on Replicate, and is still demand for pods.
      jobs.where('attempt.state', '==', 'running').where('attempt.tier', 'in', GPU_TIERS).count().get(),
      db.doc(FLEET_STATE_DOCUMENT).get(),
    ]);
    const ours = pods.filter((pod) => pod.name.startsWith(FLEET_POD_PREFIX));
    const history = readFleetHistory(state.data());
    const decision = decideFleet({
      settings,
      now: readAt,
      backlog: backlog.data().count,
      running: running.data().count,
      pods: ours.map((pod) => this.view(pod, workers, readAt)),
      history,
    });

    const names = new Map(ours.map((pod) => [pod.id, pod.name]));
    const outcomes: ActionOutcome[] = [];
    for (const action of decision.actions) outcomes.push(...(await this.carryOut(action, settings, names)));
    const failures = outcomes.filter((outcome) => !outcome.ok);

    await db.doc(FLEET_STATE_DOCUMENT).set({
      enabled: true,
      desired: decision.desired,
      wanted: decision.wanted,
      current: decision.current,
      pendingBoots: decision.pendingBoots,
      draining: decision.draining,
      backlog: backlog.data().count,
      running: running.data().count,
      pods: ours.map((pod) => ({ id: pod.id, name: pod.name, status: pod.status, gpu: pod.gpu?.id ?? null, costPerHour: pod.cost })),
      lastDecision: { at: readAt, reason: decision.reason, actions: outcomes },
      history: trimHistory(history, { at: readAt, wanted: decision.wanted }, settings),
      settingsProblems: problems,
      updatedAt: FieldValue.serverTimestamp(),
    });
    const fields = { desired: decision.desired, current: decision.current, pendingBoots: decision.pendingBoots, draining: decision.draining, actions: outcomes };
    if (failures.length > 0) this.log.warn(`Fleet: ${decision.reason}; ${failures.length} action(s) failed`, { ...fields, metric: FLEET_ACTION_FAILED_METRIC });
    else this.log.info(`Fleet: ${decision.reason}`, fields);
    return { settings, decision, outcomes };
  }

  /** Takes the tick lease on `fleet/state`, unless another tick holds it; the state written at the end of the tick releases it. */
  private claimTick(): Promise<boolean> {
    const ref = this.options.db.doc(FLEET_STATE_DOCUMENT);
    return this.options.db.runTransaction(async (transaction) => {
      const held = (await transaction.get(ref)).get('tickLeaseUntil') as Timestamp | undefined;
      if (held && held.toMillis() > Date.now()) return false;
      transaction.set(ref, { tickLeaseUntil: new Date(Date.now() + TICK_LEASE_MS) }, { merge: true });
      return true;
    });
  }

  private view(pod: Pod, workers: WorkerRecord[], now: Date): FleetPodView {
    const worker = workers.find((w) => w.workerId === pod.name);
    const createdAt = Date.parse(pod.createdAt);
    if (Number.isNaN(createdAt)) this.log.warn('A fleet pod has a createdAt that does not parse; counting it as just created', { podId: pod.id, createdAt: pod.createdAt });
    return {
      id: pod.id,
      name: pod.name,
      status: pod.status,
      createdAt: Number.isNaN(createdAt) ? now : new Date(createdAt),
      worker: worker ? { state: worker.state, running: worker.running, heartbeatAt: worker.heartbeatAt, drainRequested: Boolean(worker.drainRequestedAt) } : null,
    };
  }

  /** Carries out one action; a failure is recorded and the tick goes on with the next action. */
  private async carryOut(action: FleetAction, settings: EffectiveFleetSettings, names: Map<string, string>): Promise<ActionOutcome[]> {
    try {
      switch (action.kind) {
        case 'create':
          return await this.create(action.count, settings);
        case 'start':
          return await this.start(action.podId, settings, names);
        case 'drain':
          await this.workerRef(action.workerId).update({ drainRequestedAt: FieldValue.serverTimestamp() });
          return [{ action: `drain ${action.podId}`, ok: true }];
        case 'undrain':
          await this.workerRef(action.workerId).update({ drainRequestedAt: FieldValue.delete() });
          return [{ action: `undrain ${action.podId}`, ok: true }];
        case 'stop':
          await this.options.runpod.stopPod(action.podId);
          await this.forgetWorker(names.get(action.podId));
          return [{ action: `stop ${action.podId}`, ok: true, detail: action.why }];
        case 'terminate':
        case 'replace':
          await this.terminate(action.podId, names);
          return [{ action: `${action.kind} ${action.podId}`, ok: true, detail: action.why }];
      }
    } catch (error) {
      const podId = 'podId' in action ? ` ${action.podId}` : '';
      return [{ action: `${action.kind}${podId}`, ok: false, detail: (error as Error).message }];
    }
  }

  /** Creates pods one at a time, each on the first GPU type RunPod can place; stops at the first that cannot be made. */
  private async create(count: number, settings: EffectiveFleetSettings): Promise<ActionOutcome[]> {
    const template = settings.template;
    if (template === null) return [{ action: 'create', ok: false, detail: `${FLEET_SETTINGS_DOCUMENT} has no template` }];
    const outcomes: ActionOutcome[] = [];
    for (let i = 0; i < count; i += 1) {
      const name = this.podName();
      try {
        const placed = await createPodOnFirstAvailable(this.options.runpod, fleetPodRequest(template, name), settings.gpuTypeIds);
        const refused = placed.refused.map((r) => r.gpuTypeId);
        outcomes.push({ action: `create ${placed.pod.id}`, ok: true, detail: `${name} on ${placed.gpuTypeId}${refused.length > 0 ? ` (refused: ${refused.join(', ')})` : ''}` });
      } catch (error) {
        outcomes.push({ action: `create ${name}`, ok: false, detail: (error as Error).message });
        break;
      }
    }
    return outcomes;
  }

  /** Starts a stopped pod; one whose GPU went to someone else meanwhile is terminated and a new pod created instead. */
  private async start(podId: string, settings: EffectiveFleetSettings, names: Map<string, string>): Promise<ActionOutcome[]> {
    try {
      await this.options.runpod.startPod(podId);
      return [{ action: `start ${podId}`, ok: true }];
    } catch (error) {
      if (!(error instanceof RunpodCapacityError)) throw error;
      await this.terminate(podId, names);
      return [{ action: `terminate ${podId}`, ok: true, detail: 'its GPU was taken while it was stopped' }, ...(await this.create(1, settings))];
    }
  }

  private async terminate(podId: string, names: Map<string, string>): Promise<void> {
    try {
      await this.options.runpod.terminatePod(podId);
    } catch (error) {
      if (!(error instanceof RunpodNotFoundError)) throw error;
    }
    await this.forgetWorker(names.get(podId));
  }

  /** A stopped pod's record would otherwise keep its drain mark for the worker a later start brings up. */
  private async forgetWorker(workerId: string | undefined): Promise<void> {
    if (workerId !== undefined) await this.workerRef(workerId).delete();
  }

  private workerRef(workerId: string) {
    return this.options.db.collection(COLLECTIONS.workers).doc(workerId);
  }
}
