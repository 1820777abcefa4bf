import { JobError } from '@vidgen/contract';
import { withBackoff } from '../src/providers/retry';

describe('withBackoff', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries rate limits with growing, capped delays and then succeeds', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const calls: number[] = [];
    const call = jest.fn(async () => {
      calls.push(Date.now());
      if (calls.length < 4) throw new JobError('provider_rate_limited');
      return 'ok';
    });
    const result = withBackoff(call, { tries: 5, firstDelayMs: 1000, maxDelayMs: 3000 });
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(result).resolves.toBe('ok');
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    // Full jitter at its upper bound: 1 s, 2 s, then the 3 s cap.
    expect(gaps).toEqual([999, 1998, 2997]);
  });

  it('never retries a bad request', async () => {
    const call = jest.fn(async () => {
      throw new JobError('provider_bad_request');
    });
    await expect(withBackoff(call, { tries: 5, firstDelayMs: 10, maxDelayMs: 10 })).rejects.toMatchObject({ code: 'provider_bad_request' });
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('gives up after the last try with the last error', async () => {
    const call = jest.fn(async () => {
      throw new JobError('provider_unavailable');
    });
    const result = withBackoff(call, { tries: 3, firstDelayMs: 100, maxDelayMs: 100 });
    const settled = expect(result).rejects.toMatchObject({ code: 'provider_unavailable' });
    await jest.advanceTimersByTimeAsync(1000);
    await settled;
    expect(call).toHaveBeenCalledTimes(3);
  });
});
