import { isWriteConflict, optimistically } from '@vidgen/contract/admin';

/** An error as the Firestore client raises it: a numeric gRPC code. */
function grpcError(code: number, message = 'conflict'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isWriteConflict', () => {
  it('is true for the codes a conditional commit loses a race with, and only for them', () => {
    expect([9, 6, 5, 10].map((code) => isWriteConflict(grpcError(code)))).toEqual([true, true, true, true]);
    expect([3, 4, 7, 8, 13, 14].map((code) => isWriteConflict(grpcError(code)))).toEqual([false, false, false, false, false, false]);
    expect(isWriteConflict(Object.assign(new Error('x'), { code: 'functions/not-found' }))).toBe(false);
    expect(isWriteConflict(null)).toBe(false);
  });
});

describe('optimistically (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs the round again after each conflict, with a pause no longer than its doubling ceiling', async () => {
    const startedAt: number[] = [];
    const conflicts: number[] = [];
    const done = optimistically(
      async () => {
        startedAt.push(Date.now());
        if (startedAt.length < 4) throw grpcError(9);
        return 'written';
      },
      { baseDelayMs: 10, maxDelayMs: 25, onConflict: (tryNumber) => conflicts.push(tryNumber) },
    );
    await jest.advanceTimersByTimeAsync(1000);
    await expect(done).resolves.toBe('written');
    expect(conflicts).toEqual([1, 2, 3]);
    const pauses = startedAt.slice(1).map((at, i) => at - (startedAt[i] as number));
    // Full jitter under ceilings of 10, 20, then 25 ms (capped).
    pauses.forEach((pause, i) => expect(pause).toBeLessThanOrEqual([10, 20, 25][i] as number));
  });

  it('throws the last conflict once the tries are spent', async () => {
    let rounds = 0;
    const done = optimistically(async () => {
      rounds += 1;
      throw grpcError(9, `conflict ${rounds}`);
    }, { maxTries: 3 });
    const outcome = expect(done).rejects.toThrow('conflict 3');
    await jest.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(rounds).toBe(3);
  });

  it('throws anything that is not a conflict at once, without another round', async () => {
    let rounds = 0;
    const done = optimistically(async () => {
      rounds += 1;
      throw grpcError(14, 'unavailable');
    });
    await expect(done).rejects.toThrow('unavailable');
    expect(rounds).toBe(1);
  });
});
