import { WORKER_STALE_AFTER_MS, type EffectiveFleetSettings } from '@vidgen/contract';

/** RunPod's pod states (`@vidgen/runpod`'s PodStatus), restated so the decision stays pure. */
export type FleetPodStatus = 'PROVISIONING' | 'STARTING' | 'RUNNING' | 'EXITED' | 'ERROR' | 'TERMINATED';

/** One of our pods, as RunPod lists it, joined with the registration of the worker it runs (`workers/{pod name}`). */
export interface FleetPodView {
  id: string;
  name: string;
  status: FleetPodStatus;
  createdAt: Date;
  worker: {
    state: 'ready' | 'draining';
    running: number;
    heartbeatAt: Date;
    /** The controller asked it to drain (`drainRequestedAt` is set). */
    drainRequested: boolean;
  } | null;
}

/** What demand asked for at an earlier tick, kept for the scale-down window. */
export interface FleetHistoryEntry {
  at: Date;
  wanted: number;
}

export interface FleetInput {
  settings: EffectiveFleetSettings;
  now: Date;
  /** GPU-tier attempts waiting for a runner (pending). */
  backlog: number;
  /** GPU-tier attempts running, on our workers or on Replicate. */
  running: number;
  /** Our pods (named with the fleet prefix), in any state. */
  pods: FleetPodView[];
  history: FleetHistoryEntry[];
}

export type FleetAction =
  | { kind: 'create'; count: number; gpuTypeIds: string[] }
  | { kind: 'start'; podId: string }
  | { kind: 'drain'; podId: string; workerId: string }
  | { kind: 'undrain'; podId: string; workerId: string }
  | { kind: 'stop' | 'terminate'; podId: string; why: string }
  /** Terminate a pod whose worker never registered (or went silent) within the boot timeout; a create in the same decision stands in for it. */
  | { kind: 'replace'; podId: string; why: string };

export interface FleetDecision {
  /** Pods demand asks for, within the floor and maxPods, before the scale-up step and the scale-down window. */
  wanted: number;
  /** Pods the fleet should have once this decision is carried out (draining pods excluded). */
  desired: number;
  /** Pods that serve or will: registered and not draining, or still booting. */
  current: number;
  /** Pods booting after this decision: those still within their boot timeout, plus those asked for now. */
  pendingBoots: number;
  draining: number;
  actions: FleetAction[];
  reason: string;
}

const ACTIVE: readonly FleetPodStatus[] = ['PROVISIONING', 'STARTING', 'RUNNING'];

/** The floor at `now`: minPods, or the warm minimum during its UTC hours; never above maxPods. */
export function fleetFloor(settings: EffectiveFleetSettings, now: Date): number {
  const warm = settings.warmHours;
  let floor = settings.minPods;
  if (warm && inWarmHours(warm.fromHour, warm.toHour, now.getUTCHours())) floor = Math.max(floor, warm.minPods);
  return Math.min(floor, settings.maxPods);
}

/** [fromHour, toHour) in UTC, wrapping past midnight when toHour is below fromHour; equal hours mean the whole day. */
function inWarmHours(fromHour: number, toHour: number, hour: number): boolean {
  if (fromHour === toHour) return true;
  return fromHour < toHour ? hour >= fromHour && hour < toHour : hour >= fromHour || hour < toHour;
}

/**
 * The history the next decision needs: entries within the scale-down window, and the newest one
 * before it, which shows that the window is covered.
 */
export function trimHistory(history: FleetHistoryEntry[], entry: FleetHistoryEntry, settings: EffectiveFleetSettings): FleetHistoryEntry[] {
  const all = [...history, entry].sort((a, b) => a.at.getTime() - b.at.getTime());
  const edge = entry.at.getTime() - settings.scaleDownStabilisationSeconds * 1000;
  const firstInside = all.findIndex((h) => h.at.getTime() > edge);
  return all.slice(Math.max(0, (firstInside === -1 ? all.length : firstInside) - 1));
}

interface Sorted {
  ready: FleetPodView[];
  booting: FleetPodView[];
  draining: FleetPodView[];
  parked: FleetPodView[];
  lost: FleetPodView[];
  broken: FleetPodView[];
}

function sortPods(input: FleetInput): Sorted {
  const { now, settings } = input;
  const sorted: Sorted = { ready: [], booting: [], draining: [], parked: [], lost: [], broken: [] };
  for (const pod of input.pods) {
    if (pod.status === 'TERMINATED') continue;
    if (pod.status === 'ERROR') sorted.broken.push(pod);
    else if (pod.status === 'EXITED') sorted.parked.push(pod);
    else if (ACTIVE.includes(pod.status)) {
      const registered = pod.worker !== null && now.getTime() - pod.worker.heartbeatAt.getTime() < WORKER_STALE_AFTER_MS;
      const lastSign = Math.max(pod.createdAt.getTime(), pod.worker?.heartbeatAt.getTime() ?? 0);
      if (!registered && now.getTime() - lastSign >= settings.bootTimeoutSeconds * 1000) sorted.lost.push(pod);
      else if (pod.worker?.drainRequested) sorted.draining.push(pod);
      else if (registered) sorted.ready.push(pod);
      else sorted.booting.push(pod);
    }
  }
  return sorted;
}

/** Nothing runs there and nothing can start: the worker acknowledged the drain with no attempt left, or it is gone. */
function drained(pod: FleetPodView, now: Date): boolean {
  const worker = pod.worker;
  if (!worker || now.getTime() - worker.heartbeatAt.getTime() >= WORKER_STALE_AFTER_MS) return true;
  return worker.state === 'draining' && worker.running === 0;
}

/**
 * How many pods the fleet needs and what to do about it: a pure function of the settings, the
 * time, the demand and our pods as RunPod lists them. Scales up at once, by at most scaleUpStep per
 * tick; scales down only when demand stayed lower for the whole stabilisation window (the highest
 * demand in the window applies), and only through a drain, so a pod is stopped with nothing running.
 */
export function decideFleet(input: FleetInput): FleetDecision {
  const { settings, now } = input;
  const pods = sortPods(input);
  const actions: FleetAction[] = [];
  const notes: string[] = [];
  const current = pods.ready.length + pods.booting.length;

  const floor = fleetFloor(settings, now);
  const demand = Math.ceil((input.backlog + input.running) / settings.jobsPerPod);
  const wanted = Math.min(settings.maxPods, Math.max(floor, demand));
  notes.push(`backlog ${input.backlog} + running ${input.running} at ${settings.jobsPerPod} per pod wants ${demand} pod(s); floor ${floor}, max ${settings.maxPods}: ${wanted}`);
  notes.push(`${pods.ready.length} ready, ${pods.booting.length} booting, ${pods.draining.length} draining, ${pods.parked.length} stopped`);

  for (const pod of pods.lost) actions.push({ kind: 'replace', podId: pod.id, why: `no worker registered within ${settings.bootTimeoutSeconds} s` });
  for (const pod of pods.broken) actions.push({ kind: 'terminate', podId: pod.id, why: 'the pod is in ERROR' });
  if (pods.lost.length > 0) notes.push(`replacing ${pods.lost.length} pod(s) whose worker never registered`);

  let desired = current;
  if (wanted > current) {
    desired = Math.min(wanted, current + settings.scaleUpStep);
    notes.push(`scaling up to ${desired}${desired < wanted ? ` (at most ${settings.scaleUpStep} per tick)` : ''}`);
  } else if (wanted < current) {
    const windowMs = settings.scaleDownStabilisationSeconds * 1000;
    const covered = windowMs === 0 || input.history.some((h) => now.getTime() - h.at.getTime() >= windowMs);
    const recent = input.history.filter((h) => now.getTime() - h.at.getTime() < windowMs).map((h) => h.wanted);
    const ceiling = Math.max(wanted, ...recent);
    if (!covered) notes.push(`holding ${current}: no demand history over the last ${settings.scaleDownStabilisationSeconds} s yet`);
    else if (ceiling >= current) notes.push(`holding ${current}: demand was ${ceiling} within the last ${settings.scaleDownStabilisationSeconds} s`);
    else {
      desired = ceiling;
      notes.push(`scaling down to ${desired}: demand stayed at most ${ceiling} for ${settings.scaleDownStabilisationSeconds} s`);
    }
  }
  if (desired > settings.maxPods) {
    desired = settings.maxPods;
    notes.push(`draining down to maxPods ${settings.maxPods}`);
  }

  const undrained = new Set<string>();
  let created = 0;
  if (desired > current) {
    let need = desired - current;
    for (const pod of pods.draining) {
      if (need === 0 || !pod.worker || drained(pod, now)) continue;
      actions.push({ kind: 'undrain', podId: pod.id, workerId: pod.name });
      undrained.add(pod.id);
      need -= 1;
    }
    if (settings.stopPolicy === 'stop') {
      for (const pod of pods.parked) {
        if (need === 0) break;
        actions.push({ kind: 'start', podId: pod.id });
        need -= 1;
      }
    }
    if (need > 0 && (settings.template === null || settings.gpuTypeIds.length === 0)) {
      notes.push(`cannot create ${need} pod(s): config/fleet has no ${settings.template === null ? 'template' : 'gpuTypeIds'}`);
    } else if (need > 0) {
      actions.push({ kind: 'create', count: need, gpuTypeIds: [...settings.gpuTypeIds] });
      created = need;
    }
  } else if (desired < current) {
    let excess = current - desired;
    const youngestFirst = (a: FleetPodView, b: FleetPodView) => b.createdAt.getTime() - a.createdAt.getTime();
    for (const pod of [...pods.booting].sort(youngestFirst)) {
      if (excess === 0) break;
      actions.push({ kind: settings.stopPolicy, podId: pod.id, why: 'not needed; it never took work' });
      excess -= 1;
    }
    const idleFirst = [...pods.ready].sort((a, b) => (a.worker?.running ?? 0) - (b.worker?.running ?? 0) || youngestFirst(a, b));
    for (const pod of idleFirst) {
      if (excess === 0) break;
      actions.push({ kind: 'drain', podId: pod.id, workerId: pod.name });
      excess -= 1;
    }
  }

  let stillDraining = 0;
  for (const pod of pods.draining) {
    if (undrained.has(pod.id)) continue;
    if (drained(pod, now)) actions.push({ kind: settings.stopPolicy, podId: pod.id, why: 'drained: nothing runs there' });
    else stillDraining += 1;
  }
  if (settings.stopPolicy === 'terminate') {
    for (const pod of pods.parked) actions.push({ kind: 'terminate', podId: pod.id, why: 'stopped, and the stop policy is terminate' });
  }
  const stoppedBooting = actions.filter((a) => (a.kind === 'stop' || a.kind === 'terminate') && pods.booting.some((p) => p.id === a.podId)).length;
  const started = actions.filter((a) => a.kind === 'start').length;
  const drainsAsked = actions.filter((a) => a.kind === 'drain').length;

  return {
    wanted,
    desired,
    current,
    pendingBoots: pods.booting.length - stoppedBooting + started + created,
    draining: stillDraining + drainsAsked,
    actions,
    reason: notes.join('; '),
  };
}
