import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs } from '@vidgen/runpod';

describe('retryDelayMs', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };

  it('waits what Retry-After asked for when the server sent it', () => {
    expect(retryDelayMs(policy, 1, 12_000, 0.5)).toBe(12_000);
  });

  it('doubles the jittered ceiling each retry, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(policy, attempt, undefined, 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(retryDelayMs(policy, 3, undefined, 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
