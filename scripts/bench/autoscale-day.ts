import { FieldValue, type DocumentData, type Firestore, type Timestamp } from 'firebase-admin/firestore';
import { FLEET_POD_PREFIX, FLEET_SETTINGS_DOCUMENT, FLEET_STATE_DOCUMENT, type FleetSettings } from '@vidgen/contract';
import { RunpodClient } from '@vidgen/runpod';
import { HOST } from '../stack/ports';
import { LOCAL_SECRETS } from '../stack/stack';
import { startWatchdogTicker } from '../stack/watchdog-ticker';
import type { RecordedDecision } from './autoscale-figures';
import type { BenchContext } from './context';
import { sleep } from './context';
import { createJobPatiently } from './jobs';
import { millis, type BenchUser } from './web-client';

/** Jobs created at `atMs` after the day starts, spread evenly over `spreadMs`. */
export interface Burst {
  atMs: number;
  jobs: number;
  spreadMs: number;
}

export interface DayJob {
  jobId: string;
  createdAt: number;
  firstSamplingAt: number | null;
  state: string;
  attempts: Array<{ backend: string; workerId: string | null; startedAt: number; endedAt: number }>;
}

/** A fleet pod's life as the bench saw it: billed from `billedFrom`, its worker registered, asked to drain, billing ended. */
export interface DayPod {
  podId: string;
  name: string;
  billedFrom: number;
  billedUntil: number | null;
  registeredAt: number | null;
  drainAt: number | null;
}

export interface DayRecord {
  start: number;
  end: number;
  jobs: DayJob[];
  pods: DayPod[];
  decisions: RecordedDecision[];
}

interface BilledSpan {
  podId: string;
  start: number;
  end: number | null;
}

async function billedSpans(ctx: BenchContext): Promise<BilledSpan[]> {
  return ((await (await fetch(`${ctx.state.runpod.url}/sim/state`)).json()) as { billing: BilledSpan[] }).billing;
}

/**
 * Waits until RunPod bills no pod created since `since`: the fleet has stopped or terminated them
 * all. Asked of the simulator once a second, since a busy machine can delay the tick that would
 * show it in `fleet/state` by longer than the wait.
 */
async function noPodBilled(ctx: BenchContext, since: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await billedSpans(ctx)).some((span) => span.start >= since && span.end === null)) {
    if (Date.now() > deadline) throw new Error(`the fleet still had pods billed ${timeoutMs / 1000} s after the last job ended`);
    await sleep(1000);
  }
}

function runpodClient(ctx: BenchContext): RunpodClient {
  return new RunpodClient({ apiKey: LOCAL_SECRETS.RUNPOD_API_KEY, baseUrl: ctx.state.runpod.url });
}

export async function configureFleet(db: Firestore, settings: FleetSettings): Promise<void> {
  await db.doc(FLEET_SETTINGS_DOCUMENT).set(settings);
}

/**
 * Calls the watchdog's tick (sweep and fleet controller) every `everyMs`, never two at once, beside
 * the stack's own slower ticker: the fleet then reacts at this pace during the section only, and the
 * other sections' figures keep the stack's usual watchdog load.
 */
export function tickFleet(ctx: BenchContext, everyMs: number): { stop(): void } {
  const { ports, projectId, region } = ctx.state;
  return startWatchdogTicker(`http://${HOST}:${ports.functions}/${projectId}/${region}/watchdogTick`, everyMs);
}

/** Subscribes a snapshot listener and resolves with the first value `check` gives after a snapshot; rejects after `timeoutMs`. */
function whenSnapshot<T>(subscribe: (next: () => void) => () => void, check: () => T | null, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | null = null;
    const timer = setTimeout(() => {
      unsubscribe?.();
      reject(new Error(`${what}: not within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const next = () => {
      const value = check();
      if (value === null) return;
      clearTimeout(timer);
      unsubscribe?.();
      resolve(value);
    };
    unsubscribe = subscribe(next);
  });
}

/** Waits until the worker's record says `state` (the worker acknowledges a drain mark at its next heartbeat). */
export async function workerInState(db: Firestore, workerId: string, state: 'ready' | 'draining', timeoutMs: number): Promise<void> {
  let seen: string | undefined;
  await whenSnapshot(
    (next) => db.doc(`workers/${workerId}`).onSnapshot((snapshot) => {
      seen = snapshot.get('state') as string | undefined;
      next();
    }),
    () => (seen === state ? true : null),
    `worker ${workerId} reports ${state}`,
    timeoutMs,
  );
}

/** Marks the stack's own workers drained (or clears the mark), so that only fleet pods take work meanwhile. */
export async function markStaticWorkers(ctx: BenchContext, drained: boolean): Promise<void> {
  const ids = ctx.state.workers.map((w) => w.workerId);
  await Promise.all(ids.map((id) => ctx.admin.doc(`workers/${id}`).update({ drainRequestedAt: drained ? FieldValue.serverTimestamp() : FieldValue.delete() })));
  await Promise.all(ids.map((id) => workerInState(ctx.admin, id, drained ? 'draining' : 'ready', 30_000)));
}

/** Waits until `count` fleet workers are registered and serving. */
export async function fleetWorkersReady(db: Firestore, count: number, timeoutMs: number): Promise<void> {
  let ready = 0;
  await whenSnapshot(
    (next) => db.collection('workers').onSnapshot((snapshot) => {
      ready = snapshot.docs.filter((doc) => doc.id.startsWith(FLEET_POD_PREFIX) && doc.get('state') === 'ready' && !doc.get('drainRequestedAt')).length;
      next();
    }),
    () => (ready >= count ? true : null),
    `${count} fleet workers ready`,
    timeoutMs,
  );
}

/** Switches the fleet off, terminates its pods and forgets them, so that the next day starts from nothing. */
export async function clearFleet(ctx: BenchContext): Promise<void> {
  await configureFleet(ctx.admin, { enabled: false });
  const runpod = runpodClient(ctx);
  for (const pod of await runpod.listPods()) if (pod.name.startsWith(FLEET_POD_PREFIX)) await runpod.terminatePod(pod.id);
  const deadline = Date.now() + 30_000;
  while (ctx.state.runpod.pods.length > 0 && Date.now() < deadline) await sleep(250);
  const records = await ctx.admin.collection('workers').get();
  await Promise.all(records.docs.filter((doc) => doc.id.startsWith(FLEET_POD_PREFIX)).map((doc) => doc.ref.delete()));
  await ctx.admin.doc(FLEET_STATE_DOCUMENT).delete();
}

const at = (value: unknown): number | null => {
  const t = millis(value);
  return Number.isFinite(t) ? t : null;
};

/**
 * Watches a day from snapshot listeners: the jobs created from `since` on (each one's first write at
 * the sampling stage, and its attempts at the end), the fleet controller's decisions and pods
 * (`fleet/state`), and the fleet workers' registrations and drain marks.
 */
class DayWatch {
  readonly jobs = new Map<string, DayJob>();
  readonly decisions = new Map<number, RecordedDecision>();
  readonly podNames = new Map<string, string>();
  readonly workers = new Map<string, { registeredAt: number; drainAt: number | null }>();
  private readonly stops: Array<() => void> = [];
  private readonly waiters = new Set<() => void>();

  constructor(db: Firestore, since: number) {
    this.stops.push(
      db.collection('jobs').where('createdAt', '>=', new Date(since)).onSnapshot((snapshot) => {
        for (const change of snapshot.docChanges()) this.seeJob(change.doc.id, change.doc.data());
        this.notify();
      }),
      db.doc(FLEET_STATE_DOCUMENT).onSnapshot((snapshot) => {
        const decision = snapshot.get('lastDecision') as { at: Timestamp; actions: RecordedDecision['actions'] } | undefined;
        const decidedAt = at(decision?.at);
        if (decision && decidedAt !== null) this.decisions.set(decidedAt, { at: decidedAt, actions: decision.actions });
        const pods = (snapshot.get('pods') ?? []) as Array<{ id: string; name: string }>;
        for (const pod of pods) this.podNames.set(pod.id, pod.name);
        this.notify();
      }),
      db.collection('workers').onSnapshot((snapshot) => {
        for (const change of snapshot.docChanges()) {
          const id = change.doc.id;
          if (!id.startsWith(FLEET_POD_PREFIX) || change.type === 'removed') continue;
          // The record is created when the worker registers: its creation time, kept by Firestore, is when the pod began to serve.
          const known = this.workers.get(id);
          this.workers.set(id, { registeredAt: known?.registeredAt ?? change.doc.createTime.toMillis(), drainAt: known?.drainAt ?? at(change.doc.get('drainRequestedAt')) });
        }
      }),
    );
  }

  private seeJob(jobId: string, data: DocumentData): void {
    const known = this.jobs.get(jobId);
    const progress = data.progress as { stage?: string; updatedAt?: Timestamp } | undefined;
    const sampling = progress?.stage === 'sampling' ? at(progress.updatedAt) : null;
    this.jobs.set(jobId, {
      jobId,
      createdAt: at(data.createdAt) ?? Number.NaN,
      firstSamplingAt: known?.firstSamplingAt ?? sampling,
      state: String(data.state),
      attempts: ((data.attempts ?? []) as Array<Record<string, unknown>>).map((a) => ({
        backend: String(a.backend),
        workerId: (a.workerId as string | null) ?? null,
        startedAt: at(a.startedAt) ?? Number.NaN,
        endedAt: at(a.endedAt) ?? Number.NaN,
      })),
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves once `check` holds after some snapshot (or now); rejects after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${what}: not within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  stop(): void {
    for (const stop of this.stops) stop();
  }
}

export interface DayOptions {
  bursts: readonly Burst[];
  /** Wait after the last job ends until the fleet has no pod left (the scaled day), or not at all (the fixed fleet). */
  untilNoPods: boolean;
  users: readonly BenchUser[];
  onJobEnd?: () => void;
}

/** Runs the scripted day: creates each burst's jobs on time, waits for every job to end (and the fleet to empty), and returns what was seen. */
export async function runDay(ctx: BenchContext, options: DayOptions): Promise<DayRecord> {
  const start = Date.now();
  const watch = new DayWatch(ctx.admin, start - 1000);
  const total = options.bursts.reduce((n, b) => n + b.jobs, 0);
  try {
    const created: Array<Promise<string>> = [];
    let made = 0;
    for (const burst of options.bursts) {
      for (let i = 0; i < burst.jobs; i += 1) {
        const dueAt = start + burst.atMs + (burst.jobs > 1 ? (burst.spreadMs * i) / (burst.jobs - 1) : 0);
        await sleep(Math.max(0, dueAt - Date.now()));
        ctx.signal.throwIfAborted();
        const user = options.users[made % options.users.length] as BenchUser;
        made += 1;
        const creation = createJobPatiently(user, `autoscale ${made}`).then((c) => c.jobId);
        // Handled here so that a creation refused while a later burst is still due fails the day below, not the process (which would leave the stack running).
        creation.catch(() => undefined);
        created.push(creation);
      }
    }
    const ids = await Promise.all(created);
    let ended = 0;
    await watch.until(() => {
      const now = ids.filter((id) => ['succeeded', 'failed', 'cancelled'].includes(watch.jobs.get(id)?.state ?? '')).length;
      for (; ended < now; ended += 1) options.onJobEnd?.();
      return now === total;
    }, `${total} jobs ended`, 300_000);
    if (options.untilNoPods) await noPodBilled(ctx, start, 180_000);
    const end = Date.now();
    const billed = await billedSpans(ctx);
    const pods = billed
      .filter((span) => span.start >= start || (watch.podNames.has(span.podId) && (span.end === null || span.end > start)))
      .map((span) => {
        const name = watch.podNames.get(span.podId) ?? span.podId;
        const worker = watch.workers.get(name);
        return { podId: span.podId, name, billedFrom: span.start, billedUntil: span.end, registeredAt: worker?.registeredAt ?? null, drainAt: worker?.drainAt ?? null };
      });
    return { start, end, jobs: ids.map((id) => watch.jobs.get(id) as DayJob), pods, decisions: [...watch.decisions.values()].filter((d) => d.at >= start) };
  } finally {
    watch.stop();
  }
}
