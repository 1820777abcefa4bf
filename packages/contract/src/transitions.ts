import { errorClassOf, type JobErrorData } from './errors';
import { isTerminal, SCHEMA_VERSION, type Attempt, type AttemptRecord, type Job, type Output } from './job';
import { initialProgress, percentFor, type Progress, type ProgressUpdate } from './progress';
import type { CreateVideoJobRequest } from './request';
import { TIER_SPECS, type Backend, type Tier } from './tiers';

/**
 * The job's state machine as pure functions. Every runtime (callables, dispatcher, watchdog, worker)
 * reads the job in a transaction, calls one of these, and writes the result, so the rules live here once.
 * A transition either returns the next job, or says why it was refused without changing anything.
 */

/** How many times one tier is tried (first try included) before the plan moves on. */
export const MAX_TRIES_PER_TIER = 3;

export type Refusal =
  | 'job_terminal' // the job already ended; nothing may change it
  | 'stale_attempt' // the caller acts for an attempt that is no longer current
  | 'lease_lost' // the caller's fencing token is no longer the attempt's
  | 'already_claimed' // another runner holds a live lease on the attempt
  | 'lease_active'; // the watchdog found the lease still valid

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
  };
}

export function createJob(args: {
  ownerUid: string;
  request: CreateVideoJobRequest;
  plan: Tier[];
  now: Date;
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
function fencedAttempt(job: Job, leaseToken: string): Attempt | Refusal {
  if (isTerminal(job.state)) return 'job_terminal';
  if (!job.attempt || job.attempt.state !== 'running' || job.attempt.leaseToken !== leaseToken) return 'lease_lost';
  return job.attempt;
}

function leaseIsLive(attempt: Attempt, now: Date): boolean {
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
 */
export function claimAttempt(
  job: Job,
  args: { attemptIndex: number; backend: Backend; workerId: string; leaseToken: string; leaseMs: number; now: Date },
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
        startedAt: attempt.startedAt ?? args.now,
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

export function reportProgress(job: Job, args: { leaseToken: string; progress: ProgressUpdate; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  const percent = Math.max(job.progress.percent, args.progress.percent);
  return { ok: true, job: { ...job, progress: { ...args.progress, percent, updatedAt: args.now }, updatedAt: args.now }, next: NONE };
}

function recordOf(attempt: Attempt, outcome: AttemptRecord['outcome'], error: JobErrorData | null, costUsd: number, now: Date): AttemptRecord {
  return {
    index: attempt.index,
    tier: attempt.tier,
    backend: attempt.backend,
    workerId: attempt.workerId,
    startedAt: attempt.startedAt,
    endedAt: now,
    outcome,
    error,
    costUsd,
  };
}

/** Decides the one step a failed attempt moves the job: retry its tier, fail over to the next, or fail. */
export function nextTierAfterFailure(job: Job, attempt: Attempt, error: JobErrorData): Tier | null {
  const errorClass = errorClassOf(error.code);
  if (errorClass === 'fatal') return null;
  const triesOnTier = job.attempts.filter((a) => a.tier === attempt.tier).length + 1;
  if (errorClass === 'retry' && triesOnTier < MAX_TRIES_PER_TIER) return attempt.tier;
  const position = job.plan.indexOf(attempt.tier);
  return job.plan[position + 1] ?? null;
}

function applyFailure(job: Job, attempt: Attempt, error: JobErrorData, costUsd: number, now: Date): TransitionResult {
  const attempts = [...job.attempts, recordOf(attempt, 'failed', error, costUsd, now)];
  const totalCost = job.costUsd + costUsd;
  const tier = nextTierAfterFailure(job, attempt, error);
  if (tier === null) {
    return {
      ok: true,
      job: { ...job, state: 'failed', attempt: null, attempts, error, costUsd: totalCost, updatedAt: now },
      next: NONE,
    };
  }
  const index = attempt.index + 1;
  return {
    ok: true,
    job: {
      ...job,
      state: 'queued',
      attempt: newAttempt(index, tier, now),
      attempts,
      progress: initialProgress(now),
      costUsd: totalCost,
      updatedAt: now,
    },
    next: { kind: 'dispatch', attemptIndex: index },
  };
}

export type AttemptResult =
  | { outcome: 'succeeded'; output: Output; costUsd: number }
  | { outcome: 'failed'; error: JobErrorData; costUsd: number };

/** The lease holder reports how its attempt ended. */
export function finishAttempt(job: Job, args: { leaseToken: string; result: AttemptResult; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return refuse(attempt);
  const { result, now } = args;
  if (result.outcome === 'failed') return applyFailure(job, attempt, result.error, result.costUsd, now);
  return {
    ok: true,
    job: {
      ...job,
      state: 'succeeded',
      attempt: null,
      attempts: [...job.attempts, recordOf(attempt, 'succeeded', null, result.costUsd, now)],
      output: result.output,
      progress: { percent: 100, stage: 'done', step: null, totalSteps: null, etaSeconds: 0, updatedAt: now },
      costUsd: job.costUsd + result.costUsd,
      updatedAt: now,
    },
    next: NONE,
  };
}

/** The dispatcher gives up on a pending attempt no backend would take (no worker, tier not configured). */
export function failPendingAttempt(job: Job, args: { attemptIndex: number; error: JobErrorData; now: Date }): TransitionResult {
  const attempt = currentAttempt(job, args.attemptIndex);
  if (typeof attempt === 'string') return refuse(attempt);
  if (attempt.state !== 'pending') return refuse('already_claimed');
  return applyFailure(job, attempt, args.error, 0, args.now);
}

/** The watchdog ends an attempt whose runner stopped renewing its lease. */
export function expireLease(job: Job, args: { attemptIndex: number; now: Date }): TransitionResult {
  const attempt = currentAttempt(job, args.attemptIndex);
  if (typeof attempt === 'string') return refuse(attempt);
  if (attempt.state !== 'running' || leaseIsLive(attempt, args.now)) return refuse('lease_active');
  const error: JobErrorData = {
    code: 'lease_expired',
    message: `Worker ${attempt.workerId ?? 'unknown'} stopped renewing its lease; the attempt was handed back.`,
    retryable: true,
  };
  return applyFailure(job, attempt, error, 0, args.now);
}

/** The owner cancels. A terminal job stays as it is (cancelling twice is harmless). */
export function cancelJob(job: Job, args: { now: Date }): TransitionResult {
  if (isTerminal(job.state)) return refuse('job_terminal');
  const attempts = job.attempt && job.attempt.state === 'running'
    ? [...job.attempts, recordOf(job.attempt, 'cancelled', null, 0, args.now)]
    : job.attempts;
  return {
    ok: true,
    job: {
      ...job,
      state: 'cancelled',
      attempt: null,
      attempts,
      updatedAt: args.now,
    },
    next: NONE,
  };
}
