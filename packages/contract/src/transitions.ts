import { errorClassOf, type JobErrorData } from './errors';
import { isTerminal, SCHEMA_VERSION, type Attempt, type AttemptRecord, type Job, type PublishedOutput } from './job';
import { initialProgress, percentFor, type Progress, type ProgressUpdate } from './progress';
import type { CreateVideoJobRequest } from './request';
import { daysAfter, DEFAULT_RETENTION_DAYS, type RetentionDays } from './retention';
import { TIER_SPECS, type Backend, type Tier } from './tiers';

/**
 * The job's state machine as pure functions. Every runtime (callables, dispatcher, watchdog, worker)
 * reads the job, calls one of these, and writes the result only if the job is unchanged since the
 * read (JobRepository.transition), so the rules live here once.
 * A transition either returns the next job, or says why it was refused without changing anything.
 */

/** How many times one tier is tried (first try included) before the plan moves on. */
export const MAX_TRIES_PER_TIER = 3;

export type Refusal =
  | 'job_terminal' // the job already ended; nothing may change it
  | 'stale_attempt' // the caller acts for an attempt that is no longer current
  | 'lease_lost' // the caller's fencing token is no longer the attempt's
  | 'already_claimed' // another runner holds a live lease on the attempt
  | 'lease_active' // the watchdog found the lease still valid
  | 'cost_known' // the attempt's cost was already settled
  | 'provider_job_known'; // the provider's id for the work is already on the job

/** What must happen after the transition is written. */
export type NextStep = { kind: 'none' } | { kind: 'dispatch'; attemptIndex: number };

export type TransitionResult = { ok: true; job: Job; next: NextStep } | { ok: false; refusal: Refusal };

const NONE: NextStep = { kind: 'none' };

function refuse(refusal: Refusal): TransitionResult {
  return { ok: false, refusal };
}

function newAttempt(index: number, tier: Tier, now: Date): Attempt {
  return {
    index,
    tier,
    backend: TIER_SPECS[tier].defaultBackend,
    state: 'pending',
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    providerJobId: null,
    dispatchCount: 0,
    createdAt: now,
    startedAt: null,
    costUsd: 0,
    usdPerHour: null,
  };
}

/** Money is kept to a millionth of a dollar: fine enough for per-second prices, free of float noise. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** What holding the attempt from its start until `until` cost at the runner's hourly price (0 without one). */
export function heldCostUsd(attempt: Attempt, until: Date): number {
  if (attempt.usdPerHour === null || attempt.startedAt === null) return 0;
  const hours = Math.max(0, until.getTime() - attempt.startedAt.getTime()) / 3_600_000;
  return roundUsd(hours * attempt.usdPerHour);
}

/**
 * Whether only the provider can say what the attempt's work cost, after it ended: a Replicate
 * prediction bills its `predict_time`, which a cancel or a dead runner leaves unread.
 */
export function costReadFromProvider(attempt: Attempt): boolean {
  return attempt.backend === 'replicate' && attempt.providerJobId !== null;
}

/**
 * The cost of an attempt that ends without its runner saying (a cancel, a lease that ran out): the
 * time it held a GPU until `until`, or the paid steps it recorded; and whether that is final or the
 * provider's figure is still to be read.
 */
export function endedAttemptCost(attempt: Attempt, until: Date): { costUsd: number; costKnown: boolean } {
  return { costUsd: roundUsd(Math.max(attempt.costUsd, heldCostUsd(attempt, until))), costKnown: !costReadFromProvider(attempt) };
}

export function createJob(args: {
  ownerUid: string;
  request: CreateVideoJobRequest;
  plan: Tier[];
  now: Date;
  /** How long the job's document and video are kept (the deployment's parameters); defaults otherwise. */
  retentionDays?: RetentionDays;
}): { job: Job; next: NextStep } {
  const [firstTier] = args.plan;
  if (!firstTier) throw new Error('A job needs at least one tier in its plan');
  const job: Job = {
    schemaVersion: SCHEMA_VERSION,
    ownerUid: args.ownerUid,
    state: 'queued',
    request: args.request,
    plan: args.plan,
    attempt: newAttempt(0, firstTier, args.now),
    attempts: [],
    progress: initialProgress(args.now),
    output: null,
    error: null,
    costUsd: 0,
    costPending: false,
    retentionDays: args.retentionDays ?? DEFAULT_RETENTION_DAYS,
    expiresAt: null,
    createdAt: args.now,
    updatedAt: args.now,
  };
  return { job, next: { kind: 'dispatch', attemptIndex: 0 } };
}

/** Checks that the caller acts for the current, non-terminal attempt `attemptIndex`. */
function currentAttempt(job: Job, attemptIndex: number): Attempt | Refusal {
  if (isTerminal(job.state)) return 'job_terminal';
  if (!job.attempt || job.attempt.index !== attemptIndex) return 'stale_attempt';
  return job.attempt;
}

/** Checks that the caller holds the current lease. */
export function fencedAttempt(job: Job, leaseToken: string): Attempt | Refusal {
  if (isTerminal(job.state)) return 'job_terminal';
  if (!job.attempt || job.attempt.state !== 'running' || job.attempt.leaseToken !== leaseToken) return 'lease_lost';
  return job.attempt;
}

export function leaseIsLive(attempt: Attempt, now: Date): boolean {
  return attempt.state === 'running' && attempt.leaseExpiresAt !== null && attempt.leaseExpiresAt > now;
}

/** Counts a hand-off of the pending attempt to the task queue; the count makes each re-dispatch's task name new. */
export function markDispatched(job: Job, args: { attemptIndex: number; now: Date }): TransitionResult {
  const attempt = currentAttempt(job, args.attemptIndex);
  if (typeof attempt === 'string') return refuse(attempt);
  if (attempt.state !== 'pending') return refuse('already_claimed');
  return {
    ok: true,
    job: { ...job, attempt: { ...attempt, dispatchCount: attempt.dispatchCount + 1 }, updatedAt: args.now },
    next: NONE,
  };
}

/**
 * A runner takes the attempt: pending, or running under a lease that ran out (its runner died).
 * A live lease held by someone else refuses, which is how a duplicate task delivery does nothing.
 *
 * A runner that names its work itself (a ComfyUI prompt id) proposes the id with the claim, which
 * saves it in the same write; an id a previous runner saved is kept, so that this one can re-attach.
 * A runner that charges for its time (a GPU worker) gives its hourly price, so that whoever ends the
 * attempt without it (a cancel, the watchdog) can still cost the time it held the attempt.
 */
export function claimAttempt(
  job: Job,
  args: { attemptIndex: number; backend: Backend; workerId: string; leaseToken: string; leaseMs: number; now: Date; providerJobId?: string; usdPerHour?: number },
): TransitionResult {
  const attempt = currentAttempt(job, args.attemptIndex);
  if (typeof attempt === 'string') return refuse(attempt);
  if (leaseIsLive(attempt, args.now)) return refuse('already_claimed');
  const progress: Progress = { ...initialProgress(args.now), stage: 'starting', percent: percentFor('starting') };
  return {
    ok: true,
    job: {
      ...job,
      state: 'running',
      attempt: {
        ...attempt,
        backend: args.backend,
        state: 'running',
        workerId: args.workerId,
        leaseToken: args.leaseToken,
        leaseExpiresAt: new Date(args.now.getTime() + args.leaseMs),
        providerJobId: attempt.providerJobId ?? args.providerJobId ?? null,
        startedAt: attempt.startedAt ?? args.now,
        usdPerHour: args.usdPerHour ?? null,
      },
      progress,
      updatedAt: args.now,
    },
    next: NONE,
  };
}

export function renewLease(job: Job, args: { leaseToken: string; leaseMs: number; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  return {
    ok: true,
    job: { ...job, attempt: { ...attempt, leaseExpiresAt: new Date(args.now.getTime() + args.leaseMs) }, updatedAt: args.now },
    next: NONE,
  };
}

/** Saves the provider's own id for the work (ComfyUI prompt id, ...) before the runner waits on it. */
export function recordProviderJob(job: Job, args: { leaseToken: string; providerJobId: string; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  return { ok: true, job: { ...job, attempt: { ...attempt, providerJobId: args.providerJobId }, updatedAt: args.now }, next: NONE };
}

/**
 * Records what the attempt's finished paid steps cost so far (`costUsd` is the running total), before
 * the runner starts the next one: a job cancelled meanwhile refuses it (`job_terminal`), so the runner
 * starts nothing more, and whoever ends the attempt later counts what was recorded.
 */
export function recordAttemptCost(job: Job, args: { leaseToken: string; costUsd: number; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  const costUsd = roundUsd(Math.max(attempt.costUsd, args.costUsd));
  return { ok: true, job: { ...job, attempt: { ...attempt, costUsd }, updatedAt: args.now }, next: NONE };
}

export function reportProgress(job: Job, args: { leaseToken: string; progress: ProgressUpdate; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  const percent = Math.max(job.progress.percent, args.progress.percent);
  return { ok: true, job: { ...job, progress: { ...args.progress, percent, updatedAt: args.now }, updatedAt: args.now }, next: NONE };
}

/** What an ended attempt cost, and whether that is final. */
interface AttemptCost {
  costUsd: number;
  costKnown: boolean;
}

const known = (costUsd: number): AttemptCost => ({ costUsd: roundUsd(costUsd), costKnown: true });

function recordOf(attempt: Attempt, outcome: AttemptRecord['outcome'], error: JobErrorData | null, cost: AttemptCost, now: Date): AttemptRecord {
  return {
    index: attempt.index,
    tier: attempt.tier,
    backend: attempt.backend,
    workerId: attempt.workerId,
    startedAt: attempt.startedAt,
    endedAt: now,
    outcome,
    error,
    costUsd: cost.costUsd,
    providerJobId: attempt.providerJobId,
    costKnown: cost.costKnown,
  };
}

/** The job's cost fields once `record` is added: the sum grows, and stays pending while any record's cost is unknown. */
function withRecord(job: Job, record: AttemptRecord): Pick<Job, 'attempts' | 'costUsd' | 'costPending'> {
  return {
    attempts: [...job.attempts, record],
    costUsd: roundUsd(job.costUsd + record.costUsd),
    costPending: job.costPending || !record.costKnown,
  };
}

/** What every end of a job sets: when Firestore's TTL policy may delete the document. */
function ended(job: Job, now: Date): Pick<Job, 'expiresAt' | 'updatedAt'> {
  return { expiresAt: daysAfter(now, job.retentionDays.job), updatedAt: now };
}

/** Decides the one step a failed attempt moves the job: retry its tier, fail over to the next, or fail. */
export function nextTierAfterFailure(job: Job, attempt: Attempt, error: JobErrorData): Tier | null {
  const errorClass = errorClassOf(error.code);
  if (errorClass === 'fatal') return null;
  // Distinct attempts: work recorded beside an attempt (recordStrayProviderJob) shares its index.
  const triedBefore = new Set(job.attempts.filter((a) => a.tier === attempt.tier && a.index !== attempt.index).map((a) => a.index));
  const triesOnTier = triedBefore.size + 1;
  if (errorClass === 'retry' && triesOnTier < MAX_TRIES_PER_TIER) return attempt.tier;
  const position = job.plan.indexOf(attempt.tier);
  return job.plan[position + 1] ?? null;
}

function applyFailure(job: Job, attempt: Attempt, error: JobErrorData, cost: AttemptCost, now: Date): TransitionResult {
  const costs = withRecord(job, recordOf(attempt, 'failed', error, cost, now));
  const tier = nextTierAfterFailure(job, attempt, error);
  if (tier === null) {
    return {
      ok: true,
      job: { ...job, ...costs, state: 'failed', attempt: null, error, ...ended(job, now) },
      next: NONE,
    };
  }
  const index = attempt.index + 1;
  return {
    ok: true,
    job: {
      ...job,
      ...costs,
      state: 'queued',
      attempt: newAttempt(index, tier, now),
      progress: initialProgress(now),
      updatedAt: now,
    },
    next: { kind: 'dispatch', attemptIndex: index },
  };
}

export type AttemptResult =
  | { outcome: 'succeeded'; output: PublishedOutput; costUsd: number }
  | { outcome: 'failed'; error: JobErrorData; costUsd: number };

/**
 * The lease holder reports how its attempt ended, with what it cost whatever the outcome (never less
 * than the paid steps it recorded). A video is kept `retentionDays.video` days from now, which its
 * `output.expiresAt` says.
 */
export function finishAttempt(job: Job, args: { leaseToken: string; result: AttemptResult; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  const { result, now } = args;
  const cost = known(Math.max(attempt.costUsd, result.costUsd));
  if (result.outcome === 'failed') return applyFailure(job, attempt, result.error, cost, now);
  return {
    ok: true,
    job: {
      ...job,
      ...withRecord(job, recordOf(attempt, 'succeeded', null, cost, now)),
      state: 'succeeded',
      attempt: null,
      output: { ...result.output, expiresAt: daysAfter(now, job.retentionDays.video) },
      progress: { percent: 100, stage: 'done', step: null, totalSteps: null, etaSeconds: 0, updatedAt: now },
      ...ended(job, now),
    },
    next: NONE,
  };
}

/** The dispatcher gives up on a pending attempt no backend would take (no worker, tier not configured). */
export function failPendingAttempt(job: Job, args: { attemptIndex: number; error: JobErrorData; now: Date }): TransitionResult {
  const attempt = currentAttempt(job, args.attemptIndex);
  if (typeof attempt === 'string') return refuse(attempt);
  if (attempt.state !== 'pending') return refuse('already_claimed');
  return applyFailure(job, attempt, args.error, known(0), args.now);
}

/**
 * The watchdog ends an attempt whose runner stopped renewing its lease. Its cost is what it held
 * until the lease ran out (a GPU worker's time), or the paid steps it recorded; a Replicate
 * prediction's is left for the watchdog to read from Replicate (`costKnown: false`).
 */
export function expireLease(job: Job, args: { attemptIndex: number; now: Date }): TransitionResult {
  const attempt = currentAttempt(job, args.attemptIndex);
  if (typeof attempt === 'string') return refuse(attempt);
  if (attempt.state !== 'running' || leaseIsLive(attempt, args.now)) return refuse('lease_active');
  const error: JobErrorData = {
    code: 'lease_expired',
    message: `Worker ${attempt.workerId ?? 'unknown'} stopped renewing its lease; the attempt was handed back.`,
    retryable: true,
  };
  return applyFailure(job, attempt, error, endedAttemptCost(attempt, attempt.leaseExpiresAt ?? args.now), args.now);
}

/**
 * The owner cancels. A terminal job stays as it is (cancelling twice is harmless). A running
 * attempt is recorded `cancelled` with what it cost until now: its runner's time, or its recorded
 * paid steps; a Replicate prediction's cost is read from Replicate afterwards (`costPending`).
 */
export function cancelJob(job: Job, args: { now: Date }): TransitionResult {
  if (isTerminal(job.state)) return refuse('job_terminal');
  const running = job.attempt && job.attempt.state === 'running' ? job.attempt : null;
  const costs = running ? withRecord(job, recordOf(running, 'cancelled', null, endedAttemptCost(running, args.now), args.now)) : {};
  return {
    ok: true,
    job: {
      ...job,
      ...costs,
      state: 'cancelled',
      attempt: null,
      ...ended(job, args.now),
    },
    next: NONE,
  };
}

/**
 * Adds the provider's figure to an ended attempt whose cost was left unknown (a Replicate prediction
 * that was cancelled, or whose runner died): the record and the job's sum both grow by it. The one
 * change a terminal job still takes, since the money was spent either way; once per record, which
 * the attempt's index and the provider's id name (work recorded beside an attempt shares its index).
 */
export function settleAttemptCost(job: Job, args: { attemptIndex: number; providerJobId: string | null; costUsd: number; now: Date }): TransitionResult {
  const record = job.attempts.find((a) => a.index === args.attemptIndex && a.providerJobId === args.providerJobId);
  if (!record || record.costKnown) return refuse('cost_known');
  const costUsd = roundUsd(Math.max(record.costUsd, args.costUsd));
  const attempts = job.attempts.map((a) => (a === record ? { ...a, costUsd, costKnown: true } : a));
  return {
    ok: true,
    job: {
      ...job,
      attempts,
      costUsd: roundUsd(job.costUsd + costUsd - record.costUsd),
      costPending: attempts.some((a) => !a.costKnown),
      updatedAt: args.now,
    },
    next: NONE,
  };
}

/**
 * Records provider work that a runner started but could not save on its attempt: the save was
 * refused because the job was cancelled, or another runner took the lease, while the work was being
 * created. The runner cancels it; this keeps its id on the job as an ended record of its own, beside
 * the attempt, so that nothing the lease holder or the job's end wrote is overwritten, with its
 * charge pending: the watchdog cancels it if it still runs, reads what it cost from the provider
 * and adds it like any other (`costPending`). Not fenced, and taken by an ended job too, since the
 * money is spent either way; once per id. Only for work whose cost is read from its provider (a
 * Replicate prediction): a GPU worker's time is charged on the attempt itself (`cost_known`).
 */
export function recordStrayProviderJob(job: Job, args: { attempt: Attempt; providerJobId: string; now: Date }): TransitionResult {
  const attempt: Attempt = { ...args.attempt, providerJobId: args.providerJobId };
  if (!costReadFromProvider(attempt)) return refuse('cost_known');
  const recorded = [job.attempt?.providerJobId, ...job.attempts.map((a) => a.providerJobId)];
  if (recorded.includes(args.providerJobId)) return refuse('provider_job_known');
  // Only this work's own charge, still to be read: what the attempt recorded belongs to its own record.
  const record = recordOf(attempt, 'cancelled', null, { costUsd: 0, costKnown: false }, args.now);
  return { ok: true, job: { ...job, ...withRecord(job, record), updatedAt: args.now }, next: NONE };
}

/** The ended attempts whose cost is still to be read from their provider. */
export function attemptsAwaitingCost(job: Job): AttemptRecord[] {
  return job.attempts.filter((a) => !a.costKnown);
}
