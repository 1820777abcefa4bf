import { coverage, direction, idealPodMs, paidPodMs, reversedDecisions, waitsToFirstStep, type RecordedDecision } from '../bench/autoscale-figures';
import { p95 } from '../bench/stats';

describe('coverage', () => {
  it('counts the spans over each moment, a span ending where another starts leaving no dip', () => {
    expect(coverage([{ start: 0, end: 10 }, { start: 5, end: 20 }, { start: 20, end: 30 }])).toEqual([
      { at: 0, count: 1 },
      { at: 5, count: 2 },
      { at: 10, count: 1 },
      { at: 20, count: 1 },
      { at: 30, count: 0 },
    ]);
  });
});

describe('idealPodMs', () => {
  it('is the busy time plus one boot for one pod busy once', () => {
    expect(idealPodMs([{ start: 100, end: 160 }], 10, 1)).toBe(70);
  });

  it('keeps a pod through a gap no longer than a boot, and boots it again after a longer one', () => {
    // Gap of 8 ≤ boot 10: kept (8 paid). Gap of 50: a second run, a second boot.
    expect(idealPodMs([{ start: 0, end: 20 }, { start: 28, end: 40 }, { start: 90, end: 100 }], 10, 1)).toBe(10 + 40 + 10 + 10);
  });

  it('gives each level of concurrency a pod of its own', () => {
    // Two attempts overlap from 10 to 20: pod 1 runs 0-30, pod 2 runs 10-20, each booted once.
    expect(idealPodMs([{ start: 0, end: 20 }, { start: 10, end: 30 }], 5, 1)).toBe(30 + 5 + 10 + 5);
  });

  it('packs jobsPerPod attempts on one pod', () => {
    expect(idealPodMs([{ start: 0, end: 20 }, { start: 10, end: 30 }], 5, 2)).toBe(30 + 5);
  });

  it('is 0 for a day without work', () => {
    expect(idealPodMs([], 5, 1)).toBe(0);
  });
});

describe('paidPodMs', () => {
  it('sums the billed spans, an open one up to now', () => {
    expect(paidPodMs([{ start: 0, end: 30 }, { start: 10, end: null }], 50)).toBe(70);
  });

  it('gives the ratio the bench reports against the ideal', () => {
    const busy = [{ start: 10, end: 70 }];
    // Booted at 0 (10 of boot), busy 60, kept 30 for the scale-down window: 100 paid against 70.
    expect(paidPodMs([{ start: 0, end: 100 }], 100) / idealPodMs(busy, 10, 1)).toBeCloseTo(100 / 70);
  });
});

const decision = (at: number, ...actions: Array<[string, string?]>): RecordedDecision => ({ at, actions: actions.map(([action, detail]) => ({ action, ok: true, detail })) });

describe('direction', () => {
  it('reads the way a decision moved the fleet from its actions', () => {
    expect(direction(decision(0, ['create p1'], ['create p2']))).toBe(1);
    expect(direction(decision(0, ['undrain p1']))).toBe(1);
    expect(direction(decision(0, ['drain p1']))).toBe(-1);
    expect(direction(decision(0, ['terminate p1', 'not needed; it never took work']))).toBe(-1);
    expect(direction(decision(0, ['terminate p1', 'drained: nothing runs there']))).toBe(0);
    expect(direction(decision(0, ['replace p1', 'no worker registered within 60 s'], ['create p2']))).toBe(0);
    expect(direction(decision(0))).toBe(0);
  });

  it('ignores actions that failed', () => {
    expect(direction({ at: 0, actions: [{ action: 'create p1', ok: false }] })).toBe(0);
  });
});

describe('reversedDecisions', () => {
  it('counts a drain undone, or a scale-up followed by a drain, within the window', () => {
    const decisions = [decision(0, ['create p1']), decision(30_000, ['drain p1']), decision(35_000, ['undrain p1']), decision(50_000, ['drain p1'])];
    const reversed = reversedDecisions(decisions, 20_000);
    expect(reversed.map((r) => [r.first.at, r.then.at])).toEqual([
      [30_000, 35_000],
      [35_000, 50_000],
    ]);
  });

  it('finds none when each change holds for the window', () => {
    const decisions = [decision(0, ['create p1']), decision(2_000, ['create p2']), decision(40_000, ['drain p2']), decision(44_000, ['terminate p2', 'drained: nothing runs there']), decision(70_000, ['create p3'])];
    expect(reversedDecisions(decisions, 20_000)).toEqual([]);
  });
});

describe('waitsToFirstStep', () => {
  it('gives each job its wait, counts those without a sampling write, and the p95 the bench prints', () => {
    const jobs = Array.from({ length: 20 }, (_, i) => ({ createdAt: 1000 * i, firstSamplingAt: 1000 * i + 100 * (i + 1) }));
    const { waits, missing } = waitsToFirstStep([...jobs, { createdAt: 0, firstSamplingAt: null }]);
    expect(missing).toBe(1);
    expect(waits).toHaveLength(20);
    expect(waits[0]).toBe(100);
    // Waits 100..2000 ms: the 95th percentile interpolates between 1900 and 2000.
    expect(p95(waits)).toBeCloseTo(1905);
  });
});
