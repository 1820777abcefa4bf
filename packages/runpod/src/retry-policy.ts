/** How the client retries 429s, 5xx answers and network failures. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First backoff; each retry doubles it, with full jitter. */
  baseDelayMs: number;
  /** Largest backoff between two tries. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited out: the call fails with a rate-limit error. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 30_000 };

/** Whether an answer with this status is worth another try of the same request. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Milliseconds to wait before try `attempt + 1` (attempt counts from 1): `Retry-After` when the
 * server sent one, else exponential backoff with full jitter (`random` in [0, 1)).
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(ceiling * random);
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
