import { randomUUID } from 'node:crypto';
import type { Timestamp } from 'firebase/firestore';
import { setStepMs } from '../support/comfy-sim';
import { stackState } from '../support/stack-state';
import { operatorGet } from '../support/worker-intake';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);

const millis = (value: Timestamp) => value.toMillis();

/**
 * The test stack's workers run with clocks seconds ahead of and behind the emulators' (see the
 * global setup), more than half the lease apart: a lease measured on a worker's own clock would be
 * handed back by the watchdog while its worker still renews it.
 */
describe('workers whose clocks disagree with Firestore', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterEach(() => setStepMs(60));
  afterAll(() => user.close());

  it('really run on skewed clocks', async () => {
    const { workers, timing } = stackState();
    const skews = workers.map((w) => w.clockSkewMs);
    expect(Math.max(...skews)).toBeGreaterThan((timing.leaseSeconds * 1000) / 2);
    expect(Math.min(...skews)).toBeLessThan(-(timing.leaseSeconds * 1000) / 2);
    for (const worker of workers) {
      const before = Date.now();
      const health = (await (await operatorGet(worker.url, '/health/detailed')).json()) as { clock: string };
      const after = Date.now();
      const offset = Date.parse(health.clock) - (before + after) / 2;
      expect(Math.abs(offset - worker.clockSkewMs)).toBeLessThan(1000);
    }
  });

  it('keep their leases through renewals, and every timestamp of a job is on one clock', async () => {
    const { workers, timing } = stackState();
    // Long enough for several renewals (every half lease) and several watchdog sweeps per attempt.
    await setStepMs(Math.ceil((timing.leaseSeconds * 1000 * 2) / 20));
    // Three jobs for two workers of two slots each (the stack's limit per user is three): whichever
    // worker's backlog pull comes first takes two, so both workers run at least one.
    const created = await Promise.all([1, 2, 3].map((n) => user.createVideoJob({ prompt: `a sundial ${n} ${randomUUID()}`, model: 'animatediff' })));
    const watches = created.map(({ jobId }) => watchJob(user, jobId));
    const done = await Promise.all(watches.map((watch) => watch.until(isTerminalJob, 100_000)));
    for (const watch of watches) watch.stop();

    // The worker whose clock is behind is the one a lease on its own clock would betray.
    const behind = workers.reduce((a, b) => (a.clockSkewMs < b.clockSkewMs ? a : b));
    expect(done.map((job) => job.attempts[0]?.workerId)).toContain(behind.workerId);
    for (const job of done) {
      expect(job.state).toBe('succeeded');
      expect(job.attempts).toHaveLength(1);
      const [attempt] = job.attempts;
      expect(attempt.outcome).toBe('succeeded');
      expect(millis(job.createdAt)).toBeLessThanOrEqual(millis(attempt.startedAt));
      expect(millis(attempt.startedAt)).toBeLessThanOrEqual(millis(attempt.endedAt));
      expect(millis(attempt.endedAt)).toBeLessThanOrEqual(millis(job.updatedAt));
      expect(millis(job.progress.updatedAt)).toBeLessThanOrEqual(millis(job.updatedAt));
    }
    // No running attempt is ever written past its lease, nor with a lease longer than one period.
    for (const watch of watches) {
      for (const snapshot of watch.snapshots.filter((s) => s.state === 'running' && s.attempt?.leaseExpiresAt)) {
        expect(millis(snapshot.attempt.leaseExpiresAt) - millis(snapshot.updatedAt)).toBeLessThanOrEqual(timing.leaseSeconds * 1000);
        expect(millis(snapshot.attempt.leaseExpiresAt)).toBeGreaterThan(millis(snapshot.updatedAt));
      }
    }
  });
});
