/** Shared fixtures for the contract's unit tests (not a test file itself: jest only runs *.test.ts). */
import {
  claimAttempt,
  createJob,
  finishAttempt,
  JobError,
  type CreateVideoJobRequest,
  type ErrorCode,
  type Job,
  type JobErrorData,
  type NextStep,
  type Output,
  type Progress,
  type Refusal,
  type Tier,
  type TransitionResult,
} from '@vidgen/contract';

export const T0 = new Date('2025-06-01T12:00:00.000Z');
export const LEASE_MS = 60_000;

/** A fixed instant `ms` after {@link T0}. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

export const REQUEST: CreateVideoJobRequest = { prompt: 'a red fox running through snow', model: 'auto' };
export const AUTO: Tier[] = ['veo', 'animatediff', 'svd'];

export const OUTPUT: Output = {
  storagePath: 'videos/job-1/video.mp4',
  downloadUrl: 'https://example.test/videos/job-1/video.mp4',
  mimeType: 'video/mp4',
  width: 1280,
  height: 720,
  frameCount: 192,
  fps: 24,
  durationSeconds: 8,
  sizeBytes: 1_234_567,
  posterPath: 'videos/job-1/poster.jpg',
  posterUrl: 'https://example.test/videos/job-1/poster.jpg',
  expiresAt: null,
};

export function newJob(plan: Tier[] = AUTO, now: Date = T0, request: CreateVideoJobRequest = REQUEST): Job {
  return createJob({ ownerUid: 'user-1', request, plan, now }).job;
}

export function errorOf(code: ErrorCode): JobErrorData {
  return new JobError(code).toData();
}

/** Asserts the transition was applied and returns its job and next step. */
export function ok(result: TransitionResult): { job: Job; next: NextStep } {
  if (!result.ok) throw new Error(`expected the transition to apply, it was refused: ${result.refusal}`);
  return { job: result.job, next: result.next };
}

export function refused(refusal: Refusal): TransitionResult {
  return { ok: false, refusal };
}

/** Claims the job's current attempt for `token`. */
export function claimed(job: Job, token = 'token-1', now: Date = at(1_000), workerId = 'worker-a'): Job {
  const index = job.attempt?.index;
  if (index === undefined) throw new Error('job has no attempt to claim');
  const backend = job.attempt?.backend ?? 'comfyui';
  return ok(claimAttempt(job, { attemptIndex: index, backend, workerId, leaseToken: token, leaseMs: LEASE_MS, now })).job;
}

/** Claims the current attempt and reports it failed with `code`. */
export function claimAndFail(job: Job, code: ErrorCode, now: Date, costUsd = 0): { job: Job; next: NextStep } {
  const token = `token-${job.attempt?.index ?? 'x'}`;
  const running = claimed(job, token, now);
  return ok(finishAttempt(running, { leaseToken: token, result: { outcome: 'failed', error: errorOf(code), costUsd }, now }));
}

/** Freezes a value and everything it reaches, so that any mutation by a transition throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/**
 * A deep copy of plain data (objects, arrays, Dates). Not `structuredClone`: under jest that builds
 * Dates of another realm, which `z.date()` then refuses.
 */
export function deepCopy<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(deepCopy) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepCopy(v)])) as T;
  }
  return value;
}

export function progress(percent: number, stage: Progress['stage'] = 'sampling', now: Date = at(5_000)): Progress {
  return { percent, stage, step: 3, totalSteps: 20, etaSeconds: 30, updatedAt: now };
}

/** Calls `transition` on a frozen copy and checks the input was left exactly as it was. */
export function applyUnchanged(job: Job, transition: (job: Job) => TransitionResult): TransitionResult {
  const before = deepCopy(job);
  const frozen = deepFreeze(deepCopy(job));
  const result = transition(frozen);
  expect(frozen).toEqual(before);
  return result;
}
