import { randomUUID } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import {
  cancelJob,
  claimAttempt,
  COLLECTIONS,
  createJob,
  expireLease,
  finishAttempt,
  GLOBAL_LEDGER_SHARDS,
  ledgerExpiresAt,
  LIMIT_DEFAULTS,
  shardSliceMicroUsd,
  utcDayKey,
  type EffectiveLimits,
  type Job,
  type Output,
} from '@vidgen/contract';
import { globalShardRef, JobRepository, optimistically, reserveSpend, spendLedgerRefs, SpendRefused, userDayLedgerRef, userLedgerRef } from '@vidgen/contract/admin';
import { adminDb } from '../support/admin';

/**
 * The ledger against the real Firestore emulator, without the functions in between: reservations
 * committed with their job as `createVideoJob` commits them, and jobs ended through JobRepository
 * as every runtime ends them (a runner's finish, a cancel, the watchdog's lease expiry). Each test
 * books its reservations in a month of its own far in the future, so it shares no ledger with
 * other tests.
 */
jest.setTimeout(120_000);

const OUTPUT: Output = {
  storagePath: 'videos/u/j/attempt-0.mp4', downloadUrl: 'http://127.0.0.1/v.mp4', mimeType: 'video/mp4', width: 512, height: 512,
  frameCount: 24, fps: 8, durationSeconds: 3, sizeBytes: 1000, posterPath: 'videos/u/j/poster.jpg', posterUrl: 'http://127.0.0.1/p.jpg',
  expiresAt: null,
};

let month = 0;
/** A UTC instant in a month no other test books in. */
function isolatedNow(): Date {
  month += 1;
  return new Date(Date.UTC(2090 + Math.floor(Math.random() * 500), month % 12, 15, 12));
}

const limits = (change: Partial<EffectiveLimits>): EffectiveLimits => ({ ...LIMIT_DEFAULTS, userJobsPerMinute: 1_000, userDailyBudgetUsd: 1_000, ...change });

/** Creates a job with its reservation in one commit, as createVideoJob does; null when refused for the budget. */
async function createReserved(db: Firestore, args: { uid: string; amountMicroUsd: number; limits: EffectiveLimits; now: Date }): Promise<string | null> {
  try {
    return await optimistically(async () => {
      const spend = await reserveSpend(db, { ...args, anonymous: false });
      const ref = db.collection(COLLECTIONS.jobs).doc();
      const { job } = createJob({ ownerUid: args.uid, request: { prompt: 'ledger test', model: 'animatediff' }, plan: ['animatediff'], now: new Date() });
      const batch = db.batch();
      batch.create(ref, { ...job, ...spend.job });
      spend.addTo(batch);
      await batch.commit();
      return ref.id;
    }, { maxTries: 60, baseDelayMs: 10, maxDelayMs: 200 });
  } catch (error) {
    if (error instanceof SpendRefused) return null;
    throw error;
  }
}

async function monthTotals(db: Firestore, key: string): Promise<Array<{ reserved: number; spent: number }>> {
  const snapshots = await db.getAll(...Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, i) => globalShardRef(db, key, i)));
  return snapshots.map((s) => ({ reserved: Number(s.get('reservedMicroUsd') ?? 0), spent: Number(s.get('spentMicroUsd') ?? 0) }));
}

async function dayTotals(db: Firestore, uid: string, day: string): Promise<{ reserved: number; spent: number }> {
  const s = await userDayLedgerRef(db, uid, day).get();
  return { reserved: Number(s.get('reservedMicroUsd') ?? 0), spent: Number(s.get('spentMicroUsd') ?? 0) };
}

describe('the budget ledger on Firestore', () => {
  let db: Firestore;
  let jobs: JobRepository;
  beforeAll(() => {
    db = adminDb();
    jobs = new JobRepository(db);
  });

  it('releases the reservation and charges the cost when the watchdog fails a job whose leases ran out', async () => {
    const uid = `ledger-${randomUUID()}`;
    const now = isolatedNow();
    const jobId = (await createReserved(db, { uid, amountMicroUsd: 660_000, limits: limits({ globalMonthlyBudgetUsd: 10 }), now }))!;
    const { reservation } = (await jobs.get(jobId))!;
    expect(await dayTotals(db, uid, reservation!.day)).toEqual({ reserved: 660_000, spent: 0 });

    let job: Job = (await jobs.get(jobId))!;
    while (job.state !== 'failed') {
      const attemptIndex = job.attempt!.index;
      await jobs.transition(jobId, (j, at) => claimAttempt(j, { attemptIndex, backend: 'comfyui', workerId: 'w', leaseToken: randomUUID(), leaseMs: 1, now: at }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const expired = await jobs.transition(jobId, (j, at) => expireLease(j, { attemptIndex, now: at }));
      if (!expired.ok) throw new Error(`the lease did not expire: ${expired.refusal}`);
      job = expired.job;
    }
    expect(job.attempts).toHaveLength(3);
    expect(await dayTotals(db, uid, reservation!.day)).toEqual({ reserved: 0, spent: 0 });
    const shards = await monthTotals(db, reservation!.month);
    expect(shards.reduce((sum, s) => sum + s.reserved + s.spent, 0)).toBe(0);
  });

  it('charges what a finished job cost, on the shards it reserved in', async () => {
    const uid = `ledger-${randomUUID()}`;
    const now = isolatedNow();
    const jobId = (await createReserved(db, { uid, amountMicroUsd: 660_000, limits: limits({ globalMonthlyBudgetUsd: 10 }), now }))!;
    const leaseToken = randomUUID();
    await jobs.transition(jobId, (j, at) => claimAttempt(j, { attemptIndex: 0, backend: 'comfyui', workerId: 'w', leaseToken, leaseMs: 60_000, now: at }));
    const done = await jobs.transition(jobId, (j, at) => finishAttempt(j, { leaseToken, result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0.123456 }, now: at }));
    expect(done.ok && done.job.state).toBe('succeeded');
    const { reservation } = (await jobs.get(jobId))!;
    expect(await dayTotals(db, uid, reservation!.day)).toEqual({ reserved: 0, spent: 123_456 });
    const shards = await monthTotals(db, reservation!.month);
    expect(shards.reduce((sum, s) => ({ reserved: sum.reserved + s.reserved, spent: sum.spent + s.spent }), { reserved: 0, spent: 0 })).toEqual({ reserved: 0, spent: 123_456 });
  });

  it('decides on the day Firestore\'s clock gives, not on a read of another day, and dates every ledger it writes for the TTL policy', async () => {
    const uid = `ledger-${randomUUID()}`;
    const now = isolatedNow();
    const yesterday = new Date(now.getTime() - 86_400_000);
    // Yesterday's ledger has no room left: deciding on it would refuse.
    await userDayLedgerRef(db, uid, utcDayKey(yesterday)).set({ reservedMicroUsd: 1_000_000_000, spentMicroUsd: 0 });
    const readYesterday = await db.getAll(...spendLedgerRefs(db, uid, yesterday));
    const spend = await reserveSpend(db, { uid, anonymous: false, limits: limits({ globalMonthlyBudgetUsd: 10 }), amountMicroUsd: 660_000, now, read: readYesterday });
    expect(spend.job.reservation.day).toBe(utcDayKey(now));
    const batch = db.batch();
    spend.addTo(batch);
    await batch.commit();

    const { day, month, shards } = spend.job.reservation;
    const expiry = async (ref: ReturnType<typeof userLedgerRef>) => ((await ref.get()).get('expiresAt') as { toDate(): Date }).toDate();
    expect(await expiry(userLedgerRef(db, uid))).toEqual(new Date(now.getTime() + 86_400_000));
    expect(await expiry(userDayLedgerRef(db, uid, day))).toEqual(ledgerExpiresAt(day));
    for (const { shard } of shards) expect(await expiry(globalShardRef(db, month, shard))).toEqual(ledgerExpiresAt(month));
  });

  it('never reserves past the monthly budget however many creations race for it', async () => {
    const now = isolatedNow();
    const budgetUsd = 5;
    const amount = 660_000;
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      createReserved(db, { uid: `ledger-${i % 20}-${randomUUID()}`, amountMicroUsd: amount, limits: limits({ globalMonthlyBudgetUsd: budgetUsd }), now })));
    const accepted = outcomes.filter((id) => id !== null);
    // $5 holds 7 jobs of $0.66 ($4.62); the 8th would need $5.28.
    expect(accepted).toHaveLength(7);
    const key = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const shards = await monthTotals(db, key);
    shards.forEach((s, i) => expect(s.reserved + s.spent).toBeLessThanOrEqual(shardSliceMicroUsd(budgetUsd * 1_000_000, i)));
    expect(shards.reduce((sum, s) => sum + s.reserved, 0)).toBe(7 * amount);
    // Nothing dispatched these jobs, but a worker's backlog puller may have claimed one: ending them
    // releases every reservation and charges only what they cost (a claimed one, its GPU time).
    let costMicroUsd = 0;
    for (const id of accepted) {
      const ended = await jobs.transition(id, (j, at) => cancelJob(j, { now: at }));
      if (ended.ok) costMicroUsd += Math.round(ended.job.costUsd * 1_000_000);
    }
    const after = await monthTotals(db, key);
    expect(after.reduce((sum, s) => ({ reserved: sum.reserved + s.reserved, spent: sum.spent + s.spent }), { reserved: 0, spent: 0 })).toEqual({ reserved: 0, spent: costMicroUsd });
  });
});
