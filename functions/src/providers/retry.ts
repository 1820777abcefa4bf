import { backOff } from 'exponential-backoff';
import { JobError } from '@vidgen/contract';

export interface RetryOptions {
  tries: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { tries: 4, firstDelayMs: 2000, maxDelayMs: 30_000 };

/** Whether a call is worth repeating now: rate limits and server errors, never bad requests. */
export function isTransient(error: unknown): boolean {
  return JobError.is(error, 'provider_rate_limited') || JobError.is(error, 'provider_unavailable');
}

/**
 * Calls `call` until it succeeds or fails for good, sleeping with full-jitter exponential backoff
 * between tries; gives up early when `signal` aborts.
 */
export function withBackoff<T>(call: () => Promise<T>, options: RetryOptions, signal?: AbortSignal): Promise<T> {
  return backOff(call, {
    numOfAttempts: options.tries,
    startingDelay: options.firstDelayMs,
    maxDelay: options.maxDelayMs,
    timeMultiple: 2,
    jitter: 'full',
    retry: (error: unknown) => !signal?.aborted && isTransient(error),
  });
}

/** A call to a provider's API, its failures classified as job errors and the transient ones retried. */
export type ProviderCall = <T>(call: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/**
 * How a provider calls its API: whatever `call` throws is classified by `classify` (so the retry
 * sees our codes, and callers get a JobError), then retried by {@link withBackoff}.
 */
export function providerCall(classify: (error: unknown) => JobError, options: RetryOptions): ProviderCall {
  return (call, signal) =>
    withBackoff(async () => {
      try {
        return await call();
      } catch (error) {
        throw classify(error);
      }
    }, options, signal);
}
