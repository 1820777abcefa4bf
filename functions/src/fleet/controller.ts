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
 * calls), short enough that a tick that died frees it soon.
 */
export const TICK_LEASE_MS = 3 * 60_000;
/**
 * A tick starts no action later than this before its lease runs out: more than one RunPod call can
 * take (see {@link FLEET_RUNPOD_CALLS}), so that no action of a tick that overran is still under way
 * when another tick may claim the lease. An invocation the platform timed out may still run on.
 */
const TICK_ACTION_MARGIN_MS = 60_000;

/**
 * How long a tick waits for the workers it asked to drain, idle when it decided, to acknowledge, so
 * that it stops their pods at once rather than a tick (a minute in production) later: the ack comes
 * within a second from a worker watching its record, and at its next heartbeat (5 s) at the latest.
 */
export const DRAIN_ACK_WAIT_MS = 10_000;

/** How the controller's RunPod client calls: at most 2 tries of 10 s (and a short backoff), well inside the action margin. */
export const FLEET_RUNPOD_CALLS = { timeoutMs: 10_000, retry: { attempts: 2, maxRetryAfterMs: 10_000 } };

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
  /**
   * Set when nothing the fleet runs can be used (BACKEND_POLICY replicate-only): ticks then only
   * write this reason to `fleet/state`, as when autoscaling is off, and create nothing.
   */
  offReason?: string;
  /** How long a tick waits for a drain it asked for to be acknowledged; default {@link DRAIN_ACK_WAIT_MS}. */
  drainAckWaitMs?: number;
  /**
   * The hourly GPU rate budgets reserve a GPU attempt at (the functions' GPU_COST_PER_HOUR): a pod
   * that bills more is reported in `fleet/state` (`rateWarning`) and the log, since its attempts can
   * then cost more than their jobs reserved.
   */
  reservedUsdPerHour?: number;
}

/** This tick's hold on `fleet/state`: its token, and the time after which it starts no action. */
interface TickLease {
  owner: string;
  actUntil: number;
}

/**
 * What a tick knows of our pods while it acts: their names, the pods that bill for a GPU (creates
 * and starts never take them past maxPods, whatever the decision says: a terminate that failed
 * leaves its pod billing beside the replacement it asked for), and the pods it created.
 */
interface TickPods {
  names: Map<string, string>;
  billing: Set<string>;
  created: Pod[];
}

/** The worker wrote its record after the mark was set (both are Firestore's times): its state answers this drain, not an earlier one. */
function acknowledgesMark(heartbeatAt: Timestamp | undefined, drainRequestedAt: Timestamp | undefined): boolean {
  return heartbeatAt !== undefined && drainRequestedAt !== undefined && heartbeatAt.toMillis() >= drainRequestedAt.toMillis();
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
    const off = !settings.enabled ? `autoscaling is off (${FLEET_SETTINGS_DOCUMENT} enabled is not true)` : this.options.offReason;
    if (off !== undefined) {
      await db.doc(FLEET_STATE_DOCUMENT).set({ enabled: false, reason: off, settingsProblems: reading.problems, updatedAt: FieldValue.serverTimestamp() }, { merge: true });
      return { settings, decision: null, outcomes: [] };
    }

    // Two ticks deciding at once would both create the pods the backlog asks for.
    const lease = await this.claimTick();
    if (lease === null) {
      this.log.info('Fleet: another tick is running; skipping this one', {});
      return { settings, decision: null, outcomes: [], skipped: true };
    }
    try {
      return await this.decideAndAct(settings, reading.problems, lease);
    } catch (error) {
      // Frees the lease at once (if still ours), so the next tick need not wait for it to run out.
      const message = (error as Error).message;
      await this.writeIfLeaseHeld(lease, { tickLeaseUntil: FieldValue.delete(), tickLeaseOwner: FieldValue.delete(), lastError: { at: new Date(), message }, updatedAt: FieldValue.serverTimestamp() }, { merge: true }).catch(() => undefined);
      this.log.warn(`Fleet: the tick failed: ${message}`, { metric: FLEET_ACTION_FAILED_METRIC, error: message });
      throw error;
    }
  }

  private async decideAndAct(settings: EffectiveFleetSettings, problems: string[], lease: TickLease): Promise<FleetTick> {
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
    const views = ours.map((pod) => this.view(pod, workers, readAt));
    const decision = decideFleet({ settings, now: readAt, backlog: backlog.data().count, running: running.data().count, pods: views, history });

    const tickPods: TickPods = {
      names: new Map(ours.map((pod) => [pod.id, pod.name])),
      billing: new Set(ours.filter((pod) => !['TERMINATED', 'EXITED'].includes(pod.status)).map((pod) => pod.id)),
      created: [],
    };
    const outcomes: ActionOutcome[] = [];
    const idleDrained: string[] = [];
    for (const action of decision.actions) {
      if (Date.now() > lease.actUntil) {
        outcomes.push({ action: action.kind, ok: false, detail: 'not carried out: the tick ran too long; the next tick decides again' });
        continue;
      }
      const done = await this.carryOut(action, settings, tickPods);
      outcomes.push(...done);
      if (action.kind === 'drain' && done.every((outcome) => outcome.ok) && views.find((pod) => pod.id === action.podId)?.worker?.running === 0) idleDrained.push(action.podId);
    }
    const stopped = await this.stopWhenDrained(idleDrained, settings, tickPods, lease);
    outcomes.push(...stopped);
    const failures = outcomes.filter((outcome) => !outcome.ok);
    const draining = decision.draining - stopped.filter((outcome) => outcome.ok).length;

    const listed = [...ours, ...tickPods.created];
    const reserved = this.options.reservedUsdPerHour;
    const dearer = reserved === undefined ? [] : listed.filter((pod) => pod.cost > reserved);
    const rateWarning = dearer.length === 0 ? null : `${dearer.map((pod) => `${pod.name} bills $${pod.cost}/h`).join(', ')}, above the $${reserved}/h that budgets reserve a GPU attempt at (GPU_COST_PER_HOUR): set GPU_COST_PER_HOUR to the dearest of gpuTypeIds`;
    if (rateWarning !== null) this.log.warn(`Fleet: ${rateWarning}`, { rateWarning });
    const written = await this.writeIfLeaseHeld(lease, {
      enabled: true,
      desired: decision.desired,
      wanted: decision.wanted,
      current: decision.current,
      pendingBoots: decision.pendingBoots,
      draining,
      backlog: backlog.data().count,
      running: running.data().count,
      // With the pods created now, so that a pod's worker finds its hourly rate here when it starts.
      pods: listed.map((pod) => ({ id: pod.id, name: pod.name, status: pod.status, gpu: pod.gpu?.id ?? null, costPerHour: pod.cost })),
      lastDecision: { at: readAt, reason: decision.reason, actions: outcomes },
      history: trimHistory(history, { at: readAt, wanted: decision.wanted }, settings),
      settingsProblems: problems,
      rateWarning,
      updatedAt: FieldValue.serverTimestamp(),
    });
    if (!written) this.log.warn('Fleet: this tick lost its lease on fleet/state before it ended; the tick that holds it writes the state', { metric: FLEET_ACTION_FAILED_METRIC, actions: outcomes });
    const fields = { desired: decision.desired, current: decision.current, pendingBoots: decision.pendingBoots, draining, actions: outcomes };
    if (failures.length > 0) this.log.warn(`Fleet: ${decision.reason}; ${failures.length} action(s) failed`, { ...fields, metric: FLEET_ACTION_FAILED_METRIC });
    else this.log.info(`Fleet: ${decision.reason}`, fields);
    return { settings, decision, outcomes };
  }

  /**
   * Stops (or terminates) the pods this tick drained once their workers acknowledge with nothing
   * running, waiting at most {@link DRAIN_ACK_WAIT_MS} and never past the tick's last moment to act;
   * a pod not acknowledged by then is stopped by a later tick, as {@link decideFleet} finds it drained.
   */
  private async stopWhenDrained(podIds: string[], settings: EffectiveFleetSettings, tickPods: TickPods, lease: TickLease): Promise<ActionOutcome[]> {
    const waitMs = Math.min(this.options.drainAckWaitMs ?? DRAIN_ACK_WAIT_MS, lease.actUntil - Date.now());
    if (podIds.length === 0 || waitMs <= 0) return [];
    const acknowledged = await Promise.all(podIds.map((podId) => this.drainAcknowledged(tickPods.names.get(podId) ?? podId, waitMs)));
    const outcomes: ActionOutcome[] = [];
    for (const [i, podId] of podIds.entries()) {
      if (!acknowledged[i] || Date.now() > lease.actUntil) continue;
      outcomes.push(...(await this.carryOut({ kind: settings.stopPolicy, podId, why: 'drained: its worker acknowledged with nothing running' }, settings, tickPods)));
    }
    return outcomes;
  }

  /** Whether the worker's record says, within `waitMs`, that it drains with nothing running since the mark (or is gone). */
  private drainAcknowledged(workerId: string, waitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let unwatch = () => undefined as void;
      const settle = (value: boolean) => {
        clearTimeout(timer);
        unwatch();
        resolve(value);
      };
      const timer = setTimeout(() => settle(false), waitMs);
      unwatch = this.workerRef(workerId).onSnapshot(
        (snap) => {
          if (!snap.exists || (snap.get('state') === 'draining' && snap.get('running') === 0 && acknowledgesMark(snap.get('heartbeatAt'), snap.get('drainRequestedAt')))) settle(true);
        },
        () => settle(false),
      );
    });
  }

  /** Takes the tick lease on `fleet/state`, unless another tick holds it; the state written at the end of the tick releases it. */
  private claimTick(): Promise<TickLease | null> {
    const ref = this.options.db.doc(FLEET_STATE_DOCUMENT);
    return this.options.db.runTransaction(async (transaction) => {
      const held = (await transaction.get(ref)).get('tickLeaseUntil') as Timestamp | undefined;
      const now = Date.now();
      if (held && held.toMillis() > now) return null;
      const lease: TickLease = { owner: randomUUID(), actUntil: now + TICK_LEASE_MS - TICK_ACTION_MARGIN_MS };
      transaction.set(ref, { tickLeaseUntil: new Date(now + TICK_LEASE_MS), tickLeaseOwner: lease.owner }, { merge: true });
      return lease;
    });
  }

  /** Writes `fleet/state` only while this tick still holds the lease: a tick that overran never overwrites the one after it. */
  private writeIfLeaseHeld(lease: TickLease, data: Record<string, unknown>, options?: { merge: true }): Promise<boolean> {
    const ref = this.options.db.doc(FLEET_STATE_DOCUMENT);
    return this.options.db.runTransaction(async (transaction) => {
      if ((await transaction.get(ref)).get('tickLeaseOwner') !== lease.owner) return false;
      transaction.set(ref, data, options ?? {});
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
  private async carryOut(action: FleetAction, settings: EffectiveFleetSettings, tickPods: TickPods): Promise<ActionOutcome[]> {
    try {
      switch (action.kind) {
        case 'create': {
          const billed = tickPods.billing.size;
          const room = Math.max(0, settings.maxPods - billed);
          const outcomes = await this.create(Math.min(action.count, room), settings, tickPods);
          if (room < action.count) outcomes.push({ action: 'create', ok: false, detail: `${action.count - room} pod(s) not created: ${billed} pod(s) still bill, and maxPods is ${settings.maxPods}` });
          return outcomes;
        }
        case 'start':
          return await this.start(action.podId, settings, tickPods);
        case 'drain':
          await this.workerRef(action.workerId).update({ drainRequestedAt: FieldValue.serverTimestamp() });
          return [{ action: `drain ${action.podId}`, ok: true }];
        case 'undrain':
          await this.workerRef(action.workerId).update({ drainRequestedAt: FieldValue.delete() });
          return [{ action: `undrain ${action.podId}`, ok: true }];
        case 'stop':
          await this.options.runpod.stopPod(action.podId);
          tickPods.billing.delete(action.podId);
          await this.forgetWorker(tickPods.names.get(action.podId));
          return [{ action: `stop ${action.podId}`, ok: true, detail: action.why }];
        case 'terminate':
        case 'replace':
          await this.terminate(action.podId, tickPods);
          return [{ action: `${action.kind} ${action.podId}`, ok: true, detail: action.why }];
      }
    } catch (error) {
      const podId = 'podId' in action ? ` ${action.podId}` : '';
      return [{ action: `${action.kind}${podId}`, ok: false, detail: (error as Error).message }];
    }
  }

  /** Creates pods one at a time, each on the first GPU type RunPod can place; stops at the first that cannot be made. */
  private async create(count: number, settings: EffectiveFleetSettings, tickPods: TickPods): Promise<ActionOutcome[]> {
    const template = settings.template;
    if (template === null) return [{ action: 'create', ok: false, detail: `${FLEET_SETTINGS_DOCUMENT} has no template` }];
    const outcomes: ActionOutcome[] = [];
    for (let i = 0; i < count; i += 1) {
      const name = this.podName();
      try {
        const placed = await createPodOnFirstAvailable(this.options.runpod, fleetPodRequest(template, name), settings.gpuTypeIds);
        tickPods.billing.add(placed.pod.id);
        tickPods.created.push(placed.pod);
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
  private async start(podId: string, settings: EffectiveFleetSettings, tickPods: TickPods): Promise<ActionOutcome[]> {
    try {
      if (tickPods.billing.size >= settings.maxPods) return [{ action: `start ${podId}`, ok: false, detail: `not started: ${tickPods.billing.size} pod(s) still bill, and maxPods is ${settings.maxPods}` }];
      await this.options.runpod.startPod(podId);
      tickPods.billing.add(podId);
      return [{ action: `start ${podId}`, ok: true }];
    } catch (error) {
      if (!(error instanceof RunpodCapacityError)) throw error;
      await this.terminate(podId, tickPods);
      return [{ action: `terminate ${podId}`, ok: true, detail: 'its GPU was taken while it was stopped' }, ...(await this.create(1, settings, tickPods))];
    }
  }

  private async terminate(podId: string, tickPods: TickPods): Promise<void> {
    try {
      await this.options.runpod.terminatePod(podId);
    } catch (error) {
      if (!(error instanceof RunpodNotFoundError)) throw error;
    }
    tickPods.billing.delete(podId);
    await this.forgetWorker(tickPods.names.get(podId));
  }

  /** A stopped pod's record would otherwise keep its drain mark for the worker a later start brings up. */
  private async forgetWorker(workerId: string | undefined): Promise<void> {
    if (workerId !== undefined) await this.workerRef(workerId).delete();
  }

  private workerRef(workerId: string) {
    return this.options.db.collection(COLLECTIONS.workers).doc(workerId);
  }
}
