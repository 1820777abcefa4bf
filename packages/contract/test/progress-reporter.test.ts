import type { ProgressUpdate } from '@vidgen/contract';
import { ProgressReporter } from '@vidgen/contract/admin';

const step = (n: number, total = 25): ProgressUpdate => ({ stage: 'sampling', step: n, totalSteps: total, percent: n, etaSeconds: total - n });

describe('ProgressReporter (fake timers)', () => {
  let writes: Array<{ at: number; progress: ProgressUpdate }>;
  const record = async (progress: ProgressUpdate) => {
    writes.push({ at: Date.now(), progress });
  };

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    writes = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('coalesces a burst into one write carrying the latest value', async () => {
    const reporter = new ProgressReporter(record, 1000);
    for (let i = 1; i <= 20; i += 1) reporter.update(step(i));
    await jest.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.progress).toEqual(step(20));
    expect(reporter.writes).toBe(1);
  });

  it('updates spread over less than a second after a write produce one more write, with the latest', async () => {
    const reporter = new ProgressReporter(record, 1000);
    reporter.update(step(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.progress.step)).toEqual([1]);
    for (let i = 2; i <= 10; i += 1) {
      await jest.advanceTimersByTimeAsync(90);
      reporter.update(step(i));
    }
    expect(writes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(writes.map((w) => w.progress.step)).toEqual([1, 10]);
    expect(writes[1]!.at - writes[0]!.at).toBe(1000);
  });

  it('never writes closer together than minIntervalMs', async () => {
    const reporter = new ProgressReporter(record, 700);
    for (let i = 1; i <= 60; i += 1) {
      reporter.update(step(i, 60));
      await jest.advanceTimersByTimeAsync(37);
    }
    await jest.advanceTimersByTimeAsync(2000);
    expect(writes.length).toBeGreaterThan(2);
    for (let i = 1; i < writes.length; i += 1) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(700);
    expect(writes.at(-1)?.progress.step).toBe(60);
  });

  it('keeps the interval even when a write is slow, and does not overlap writes', async () => {
    let active = 0;
    let maxActive = 0;
    const slow = async (progress: ProgressUpdate) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      writes.push({ at: Date.now(), progress });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      active -= 1;
    };
    const reporter = new ProgressReporter(slow, 1000);
    for (let i = 1; i <= 40; i += 1) {
      reporter.update(step(i, 40));
      await jest.advanceTimersByTimeAsync(100);
    }
    await jest.advanceTimersByTimeAsync(5000);
    expect(maxActive).toBe(1);
    for (let i = 1; i < writes.length; i += 1) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    expect(writes.at(-1)?.progress.step).toBe(40);
  });

  it('the final update always lands', async () => {
    const reporter = new ProgressReporter(record, 1000);
    reporter.update(step(1));
    await jest.advanceTimersByTimeAsync(10);
    reporter.update(step(2));
    reporter.update({ stage: 'decoding', step: null, totalSteps: null, percent: 85, etaSeconds: 3 });
    await jest.advanceTimersByTimeAsync(999);
    expect(writes.map((w) => w.progress.stage)).toEqual(['sampling', 'decoding']);
    expect(writes.at(-1)?.progress).toMatchObject({ stage: 'decoding', percent: 85, etaSeconds: 3 });
  });

  it('a failed write is swallowed and the next update still lands', async () => {
    let fail = true;
    const flaky = async (progress: ProgressUpdate) => {
      writes.push({ at: Date.now(), progress });
      if (fail) {
        fail = false;
        throw new Error('firestore unavailable');
      }
    };
    const reporter = new ProgressReporter(flaky, 500);
    reporter.update(step(1));
    await jest.advanceTimersByTimeAsync(0);
    reporter.update(step(2));
    await jest.advanceTimersByTimeAsync(600);
    expect(writes.map((w) => w.progress.step)).toEqual([1, 2]);
  });

  it('stop() drops what is pending and refuses later updates', async () => {
    const reporter = new ProgressReporter(record, 1000);
    reporter.update(step(1));
    await jest.advanceTimersByTimeAsync(0);
    reporter.update(step(2));
    await reporter.stop();
    reporter.update(step(3));
    await jest.advanceTimersByTimeAsync(5000);
    expect(writes.map((w) => w.progress.step)).toEqual([1]);
    expect(reporter.writes).toBe(1);
  });

  it('stop() waits for the write in flight', async () => {
    let finished = false;
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    };
    const reporter = new ProgressReporter(slow, 1000);
    reporter.update(step(1));
    await jest.advanceTimersByTimeAsync(0);
    const stopping = reporter.stop();
    await jest.advanceTimersByTimeAsync(300);
    await stopping;
    expect(finished).toBe(true);
  });

  // Updates in [0, 3 s): writes at 0, 1, 2 and 3 s whatever their number.
  it.each([25, 250, 2500])('%i updates spread over 3 s at 1000 ms make at most 4 writes', async (count) => {
    const reporter = new ProgressReporter(record, 1000);
    const gap = 3000 / count;
    for (let i = 1; i <= count; i += 1) {
      reporter.update(step(i, count));
      if (i < count) await jest.advanceTimersByTimeAsync(gap);
    }
    await jest.advanceTimersByTimeAsync(5000);
    expect(writes.length).toBeLessThanOrEqual(4);
    expect(writes.length).toBeGreaterThanOrEqual(3);
    expect(writes.at(-1)?.progress.step).toBe(count);
    expect(reporter.writes).toBe(writes.length);
  });
});
