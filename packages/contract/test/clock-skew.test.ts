import { claimAttempt, createJob, expireLease, renewLease, type Job } from '@vidgen/contract';

const LEASE_MS = 60_000;
const real = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + ms);

/**
 * JobRepository hands transitions Firestore's clock, so in the stack no skew reaches them. The
 * transitions alone also tolerate one: if a lease were written with a worker's clock and read with
 * the watchdog's, renewing at half the lease keeps the attempt through a skew of a few seconds.
 */
describe.each([-5_000, 5_000])('a worker whose clock is off by %d ms', (skewMs) => {
  const workerNow = (realMs: number) => real(realMs + skewMs);

  function renewedUntil(realMs: number): Job {
    const created = createJob({ ownerUid: 'u', request: { prompt: 'p', model: 'animatediff' }, plan: ['animatediff'], now: real(0) }).job;
    const claimed = claimAttempt(created, { attemptIndex: 0, backend: 'comfyui', workerId: 'w', leaseToken: 't', leaseMs: LEASE_MS, now: workerNow(0) });
    if (!claimed.ok) throw new Error(claimed.refusal);
    let job = claimed.job;
    for (let at = LEASE_MS / 2; at <= realMs; at += LEASE_MS / 2) {
      const renewed = renewLease(job, { leaseToken: 't', leaseMs: LEASE_MS, now: workerNow(at) });
      if (!renewed.ok) throw new Error(renewed.refusal);
      job = renewed.job;
    }
    return job;
  }

  it('is never expired by the watchdog while it keeps renewing', () => {
    for (let realMs = 0; realMs <= 10 * LEASE_MS; realMs += 1_000) {
      const job = renewedUntil(realMs);
      expect(expireLease(job, { attemptIndex: 0, now: real(realMs) })).toEqual({ ok: false, refusal: 'lease_active' });
    }
  });

  it('is expired once it stops renewing, within the lease plus the skew', () => {
    const job = renewedUntil(LEASE_MS);
    expect(expireLease(job, { attemptIndex: 0, now: real(LEASE_MS + LEASE_MS + Math.abs(skewMs)) }).ok).toBe(true);
  });
});
