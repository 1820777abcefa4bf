import type { Problem } from './problem';

/** Stable codes for RunPod failures, matched by code as well as by class. */
export const RUNPOD_ERROR_CODES = [
  'runpod/capacity',
  'runpod/not-found',
  'runpod/auth',
  'runpod/rate-limited',
  'runpod/invalid-state',
  'runpod/invalid-request',
  'runpod/payment-required',
  'runpod/server',
  'runpod/network',
  'runpod/unexpected-response',
] as const;
export type RunpodErrorCode = (typeof RUNPOD_ERROR_CODES)[number];

/** Where a failure happened and what RunPod said. */
export interface RunpodErrorContext {
  method: string;
  path: string;
  status?: number;
  problem?: Problem;
  cause?: unknown;
}

/** A failed RunPod call. Subclasses mark the failures a caller acts on; the rest carry their code. */
export class RunpodError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly problem: Problem | undefined;

  constructor(
    readonly code: RunpodErrorCode,
    message: string,
    context: RunpodErrorContext,
  ) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = 'RunpodError';
    this.method = context.method;
    this.path = context.path;
    this.status = context.status;
    this.problem = context.problem;
  }
}

/**
 * RunPod could not place the pod (400 on a create or a start). Its API gives capacity exhaustion no
 * code of its own, so a request that breaks a cross-field rule reads the same: try the next
 * candidate, and if every one refuses, treat the last `detail` as a problem with the request.
 */
export class RunpodCapacityError extends RunpodError {
  constructor(message: string, context: RunpodErrorContext) {
    super('runpod/capacity', message, context);
    this.name = 'RunpodCapacityError';
  }
}

/** The pod (or other resource) does not exist or is not visible to this key (404). */
export class RunpodNotFoundError extends RunpodError {
  constructor(message: string, context: RunpodErrorContext) {
    super('runpod/not-found', message, context);
    this.name = 'RunpodNotFoundError';
  }
}

/** The key is missing, wrong or expired (401), or lacks access to the resource (403). */
export class RunpodAuthError extends RunpodError {
  constructor(message: string, context: RunpodErrorContext) {
    super('runpod/auth', message, context);
    this.name = 'RunpodAuthError';
  }
}

/** Still rate limited (429) after the retries, or asked to wait longer than the client will. */
export class RunpodRateLimitError extends RunpodError {
  constructor(
    message: string,
    context: RunpodErrorContext,
    /** What `Retry-After` asked for, in milliseconds, when it was sent. */
    readonly retryAfterMs: number | undefined,
  ) {
    super('runpod/rate-limited', message, context);
    this.name = 'RunpodRateLimitError';
  }
}

/** No candidate GPU type could be placed; `attempts` holds each refusal in order. */
export class RunpodNoCapacityError extends RunpodCapacityError {
  constructor(readonly attempts: ReadonlyArray<{ gpuTypeId: string; error: RunpodError }>) {
    const tried = attempts.map(({ gpuTypeId, error }) => `${gpuTypeId}: ${error.problem?.detail ?? error.message}`).join('; ');
    const last = attempts.at(-1)?.error;
    super(`no GPU type could be placed (${tried || 'no GPU types given'})`, {
      method: last?.method ?? 'POST',
      path: last?.path ?? '/v2/pods',
      ...(last?.status === undefined ? {} : { status: last.status }),
      ...(last?.problem === undefined ? {} : { problem: last.problem }),
    });
    this.name = 'RunpodNoCapacityError';
  }
}

/** Whether `error` is a RunPod failure with `code`. */
export function isRunpodError(error: unknown, code?: RunpodErrorCode): error is RunpodError {
  return error instanceof RunpodError && (code === undefined || error.code === code);
}
