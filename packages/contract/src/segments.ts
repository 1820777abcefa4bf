import type { Attempt, Job, Segment } from './job';
import { expireLease, fencedAttempt, leaseIsLive, roundUsd, type TransitionResult } from './transitions';

/**
 * Chained provider runs (Veo: one generation, then extensions) as pure decisions. Each paid segment
 * is recorded on the attempt before the next starts; a run that resumes (the next task invocation,
 * or a redelivery after a lost one) asks {@link nextSegmentStep} where to go on, so it never starts a
 * segment that was already paid for.
 */

/**
 * How long the Gemini API keeps a generated video (its docs: "stored on the server for 2 days");
 * an extension must be submitted before the video it extends is gone.
 */
export const VEO_VIDEO_RETENTION_MS = 2 * 24 * 60 * 60 * 1000;

/** How many times one attempt may be resumed (hand-offs between invocations included) before the watchdog ends it. */
export const MAX_RESUMES_PER_ATTEMPT = 40;

/** The chain a clip needs: one generation of `baseSeconds`, then `extensions` extensions. */
export interface ChainPlan {
  baseSeconds: number;
  extensions: number;
}

export type SegmentStep =
  /** An operation was started and saved but not recorded as done: wait on it, never start it again. */
  | { kind: 'follow'; segment: number; operation: string }
  /** Nothing paid yet: the first generation. */
  | { kind: 'generate'; segment: 1 }
  /** Extend the last recorded segment's video. */
  | { kind: 'extend'; segment: number; from: Segment }
  /** Every segment is recorded: the last one's video is the clip. */
  | { kind: 'done'; last: Segment; costUsd: number }
  /** The video to extend is older than the provider keeps it: extending would fail, so do not pay for the request. */
  | { kind: 'expired'; segment: number; from: Segment };

/** Segments of the chain, 1-based: the generation is 1, the n-th extension n + 1. */
export function segmentCount(plan: ChainPlan): number {
  return plan.extensions + 1;
}

/** What the paid segments of an attempt cost together. */
export function segmentsCost(attempt: Pick<Attempt, 'segments'>): number {
  return Math.round((attempt.segments ?? []).reduce((sum, segment) => sum + segment.costUsd, 0) * 1e6) / 1e6;
}

/**
 * Where a chained run goes on from what the attempt records. `providerJobId` holds the operation
 * last started; when no recorded segment names it, that operation is in flight (or finished unseen)
 * and is followed rather than paid for again.
 */
export function nextSegmentStep(
  plan: ChainPlan,
  attempt: Pick<Attempt, 'providerJobId' | 'segments'>,
  now: Date,
  retentionMs: number = VEO_VIDEO_RETENTION_MS,
): SegmentStep {
  const segments = attempt.segments ?? [];
  const inFlight = attempt.providerJobId !== null && !segments.some((segment) => segment.operation === attempt.providerJobId);
  if (inFlight) return { kind: 'follow', segment: segments.length + 1, operation: attempt.providerJobId! };
  const last = segments.at(-1);
  if (!last) return { kind: 'generate', segment: 1 };
  if (segments.length >= segmentCount(plan)) return { kind: 'done', last, costUsd: segmentsCost(attempt) };
  const segment = segments.length + 1;
  if (now.getTime() - last.completedAt.getTime() >= retentionMs) return { kind: 'expired', segment, from: last };
  return { kind: 'extend', segment, from: last };
}

/**
 * Whether this invocation may start (or wait on) one more segment: only when the time left before
 * its deadline covers a whole segment at its timeout, so a segment never outlives the invocation.
 */
export function fitsInInvocation(args: { startedAtMs: number; nowMs: number; budgetMs: number; segmentTimeoutMs: number }): boolean {
  return args.budgetMs - (args.nowMs - args.startedAtMs) >= args.segmentTimeoutMs;
}

/** Records a finished segment on the attempt (fenced) before the next one starts. */
export function recordSegment(job: Job, args: { leaseToken: string; segment: Segment; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return { ok: false, refusal: attempt };
  const segments = attempt.segments ?? [];
  // A segment is recorded once, even if a retried write lands twice.
  if (segments.some((segment) => segment.operation === args.segment.operation)) return { ok: true, job, next: { kind: 'none' } };
  return {
    ok: true,
    // The segment's cost is the attempt's from this write on, whatever ends the attempt later.
    job: { ...job, attempt: { ...attempt, providerJobId: args.segment.operation, segments: [...segments, args.segment], costUsd: roundUsd(Math.max(attempt.costUsd, segmentsCost({ segments: [...segments, args.segment] }))) }, updatedAt: args.now },
    next: { kind: 'none' },
  };
}

function handBack(job: Job, attempt: Attempt, now: Date): TransitionResult {
  return {
    ok: true,
    job: {
      ...job,
      attempt: {
        ...attempt,
        state: 'pending',
        workerId: null,
        leaseToken: null,
        leaseExpiresAt: null,
        // The new count names a new task, so the hand-off is never de-duplicated away.
        dispatchCount: attempt.dispatchCount + 1,
        resumes: (attempt.resumes ?? 0) + 1,
      },
      updatedAt: now,
    },
    next: { kind: 'dispatch', attemptIndex: attempt.index },
  };
}

/**
 * The lease holder ends its invocation with the chain unfinished: the attempt, segments and all,
 * goes back to pending and the next invocation picks it up (claimed under a new lease).
 */
export function handOffAttempt(job: Job, args: { leaseToken: string; now: Date }): TransitionResult {
  const attempt = fencedAttempt(job, args.leaseToken);
  if (typeof attempt === 'string') return { ok: false, refusal: attempt };
  return handBack(job, attempt, args.now);
}

/** Whether an attempt holds paid work that a new runner can take up instead of starting over. */
export function isResumable(attempt: Attempt): boolean {
  return attempt.backend === 'gemini' && (attempt.providerJobId !== null || (attempt.segments?.length ?? 0) > 0)
    && (attempt.resumes ?? 0) < MAX_RESUMES_PER_ATTEMPT;
}

/**
 * The watchdog's answer to a lease that ran out. An attempt with paid segments or an operation in
 * flight is handed back whole (the next runner follows the operation and extends the last segment);
 * any other is ended as {@link expireLease} does.
 */
export function resumeOrExpireLease(job: Job, args: { attemptIndex: number; now: Date }): TransitionResult {
  const attempt = job.attempt;
  if (!attempt || attempt.index !== args.attemptIndex || attempt.state !== 'running' || leaseIsLive(attempt, args.now) || !isResumable(attempt)) {
    return expireLease(job, args);
  }
  if (job.state !== 'running') return expireLease(job, args);
  return handBack(job, attempt, args.now);
}

/** Redispatches the watchdog may still make of a pending attempt: hand-offs do not count against it. */
export function ownRedispatches(attempt: Pick<Attempt, 'dispatchCount' | 'resumes'>): number {
  return attempt.dispatchCount - (attempt.resumes ?? 0);
}
