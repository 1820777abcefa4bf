import { globalRoomMicroUsd, shardSliceMicroUsd, toMicroUsd, toUsd, utcMonthKey } from '@vidgen/contract';
import { growFunctionsPool } from '../../scripts/stack/functions-pool';
import { adminDb, jobsOf } from '../support/admin';
import { setStepMs } from '../support/comfy-sim';
import { monthShards, refusalOf, restoreLimits, untilNoActiveJobs, useLimits, userDayLedger, type Refusal } from '../support/limits';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(240_000);

/**
 * What an AnimateDiff job reserves on the test stack: three tries on its dearest backend, our GPU
 * (GPU_ATTEMPT_MAX_SECONDS 1800 at $0.44 an hour, $0.22 a try; Replicate's 121 s at $0.000975 is less).
 */
const ANIMATEDIFF_WORST_CASE_USD = 0.66;

function nextUtcMidnight(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
}

function refusal(user: WebUser, input: Record<string, unknown>): Promise<Refusal> {
  return refusalOf(() => user.createVideoJob(input));
}

async function jobDoc(jobId: string) {
  return (await adminDb().doc(`jobs/${jobId}`).get()).data() as { state: string; reservedUsd: number; costUsd: number; reservation: { month: string; shards: Array<{ shard: number; microUsd: number }> } };
}

describe('budgets', () => {
  afterEach(async () => {
    await setStepMs(60);
    await restoreLimits();
  });

  it('reserves a job\'s worst case in the creating commit and settles it to the real cost in the ending one', async () => {
    const user = await signedInUser({ signIn: 'password' });
    try {
      const { jobId } = await user.createVideoJob({ prompt: 'a paper boat', model: 'animatediff' });
      const created = await jobDoc(jobId);
      expect(created.reservedUsd).toBeCloseTo(ANIMATEDIFF_WORST_CASE_USD, 6);
      expect(created.reservation.month).toBe(utcMonthKey(new Date()));
      expect(created.reservation.shards.reduce((sum, part) => sum + part.microUsd, 0)).toBe(toMicroUsd(ANIMATEDIFF_WORST_CASE_USD));
      const watch = watchJob(user, jobId);
      const ended = await watch.until(isTerminalJob, 90_000);
      watch.stop();
      expect(ended.state).toBe('succeeded');
      expect(ended.costUsd).toBeGreaterThan(0);
      // The owner's ledger for the day holds nothing reserved any more, and exactly what the job cost.
      expect(await userDayLedger(user.uid)).toEqual({ reservedMicroUsd: 0, spentMicroUsd: toMicroUsd(ended.costUsd as number) });
    } finally {
      await user.close();
    }
  });

  it('releases a cancelled job\'s reservation in the cancelling commit', async () => {
    // A job that runs for a minute, so that it is still going when cancelled however busy the machine.
    await setStepMs(3_000);
    const user = await signedInUser({ signIn: 'password' });
    try {
      const { jobId } = await user.createVideoJob({ prompt: 'cancelled soon', model: 'animatediff' });
      expect((await userDayLedger(user.uid)).reservedMicroUsd).toBe(toMicroUsd(ANIMATEDIFF_WORST_CASE_USD));
      expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
      const ended = await jobDoc(jobId);
      expect(await userDayLedger(user.uid)).toEqual({ reservedMicroUsd: 0, spentMicroUsd: toMicroUsd(ended.costUsd) });
    } finally {
      await user.close();
    }
  });

  it.each([
    ['signed-in', 'password', 'userDailyBudgetUsd', 'userDaily', /your daily budget of \$1\.00 has \$0\.34 left; it resets at midnight UTC/],
    ['anonymous', true, 'anonymousUserDailyBudgetUsd', 'anonymousUserDaily', /the daily budget for anonymous users of \$1\.00 has \$0\.34 left; it resets at midnight UTC .*Sign in for a larger one/],
  ] as const)('the %s daily budget: over it, resource-exhausted naming it and its reset, and nothing written', async (_who, signIn, field, budget, message) => {
    await useLimits({ [field]: 1 });
    const user = await signedInUser({ signIn });
    try {
      const { jobId } = await user.createVideoJob({ prompt: 'fits the day', model: 'animatediff' });
      const error = await refusal(user, { prompt: 'does not fit any more', model: 'animatediff' });
      expect(error).toMatchObject({ code: 'functions/resource-exhausted', message: expect.stringMatching(message) });
      expect(error.details).toMatchObject({ budget, resetsAt: nextUtcMidnight(), budgetUsd: 1, neededUsd: ANIMATEDIFF_WORST_CASE_USD });
      expect(await jobsOf(user.uid)).toBe(1);
      expect((await userDayLedger(user.uid)).reservedMicroUsd).toBe(toMicroUsd(ANIMATEDIFF_WORST_CASE_USD));
      // Ending the job gives back what it did not spend.
      await user.cancelVideoJob(jobId);
      const again = await user.createVideoJob({ prompt: 'fits again', model: 'animatediff' });
      await user.cancelVideoJob(again.jobId);
    } finally {
      await user.close();
    }
  });

  it('the global monthly budget: over it, resource-exhausted naming it and the first of the month, and nothing written', async () => {
    await useLimits({ globalMonthlyBudgetUsd: 0 });
    const user = await signedInUser({ signIn: 'password' });
    try {
      const error = await refusal(user, { prompt: 'no money left this month', model: 'animatediff' });
      const now = new Date();
      expect(error).toMatchObject({
        code: 'functions/resource-exhausted',
        message: expect.stringMatching(/this service's monthly budget of \$0\.00 has \$0\.00 left; it resets on the first of the month \(UTC\)/),
        details: { budget: 'globalMonthly', resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString() },
      });
      expect(await jobsOf(user.uid)).toBe(0);
      expect(await userDayLedger(user.uid)).toEqual({ reservedMicroUsd: 0, spentMicroUsd: 0 });
    } finally {
      await user.close();
    }
  });

  it('40 concurrent creations from 20 users against a budget that fits a few: never over it, and every other call resource-exhausted', async () => {
    // No reservation held elsewhere, and jobs that stay running through the burst: only this burst moves the ledger.
    await untilNoActiveJobs();
    await setStepMs(3_000);
    const shards = await monthShards();
    const amount = toMicroUsd(ANIMATEDIFF_WORST_CASE_USD);
    // The smallest budget whose room (within each shard's slice, given what earlier tests spent) holds 3.5 jobs.
    let low = 0;
    let high = 1_000_000_000_000;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (globalRoomMicroUsd(shards, mid) >= 3.5 * amount) high = mid;
      else low = mid + 1;
    }
    const budgetMicroUsd = low;
    const room = globalRoomMicroUsd(shards, budgetMicroUsd);
    await useLimits({ globalMonthlyBudgetUsd: toUsd(budgetMicroUsd) });

    const users = await Promise.all(Array.from({ length: 20 }, () => signedInUser({ signIn: 'password', callTimeoutMs: 180_000 })));
    try {
      // Invalid input, refused before anything is read: grows the emulator's processes (see growFunctionsPool).
      await growFunctionsPool(async (i) => (await refusal(users[i % users.length]!, {})).code === 'functions/invalid-argument', 40);
      const outcomes = await Promise.all(users.flatMap((user, u) => [0, 1].map(async (i) => {
        try {
          const { jobId } = await user.createVideoJob({ prompt: `burst ${u}-${i}`, model: 'animatediff' });
          return { user, jobId, code: 'ok' };
        } catch (error) {
          const { code, message } = error as { code?: unknown; message?: unknown };
          return { user, jobId: null, code: String(code), message: String(message) };
        }
      })));
      const accepted = outcomes.filter((o) => o.code === 'ok');
      const refused = outcomes.filter((o) => o.code !== 'ok');
      expect(refused.map((o) => o.code).filter((code) => code !== 'functions/resource-exhausted')).toEqual([]);
      for (const o of refused) expect(o.message).toMatch(/this service's monthly budget/);
      // Room for 3.5 jobs, and no job ends during the burst: exactly 3, so no call was refused while
      // there was room (a refusal reads every shard, and reservations only ever shrink the room it saw).
      expect(accepted.length).toBe(3);

      const reserved = await Promise.all(accepted.map(async (o) => toMicroUsd((await jobDoc(o.jobId!)).reservedUsd)));
      expect(reserved.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(room);
      // What the burst added to the ledger is exactly what the accepted jobs reserved, and no shard it
      // touched went above its slice of the budget.
      const after = await monthShards();
      const usedOf = (t: { reservedMicroUsd: number; spentMicroUsd: number } | undefined) => (t ? t.reservedMicroUsd + t.spentMicroUsd : 0);
      let added = 0;
      for (const [shard, totals] of after) {
        const grew = usedOf(totals) - usedOf(shards.get(shard));
        added += grew;
        if (grew > 0) expect(usedOf(totals)).toBeLessThanOrEqual(shardSliceMicroUsd(budgetMicroUsd, shard));
      }
      expect(added).toBe(reserved.reduce((a, b) => a + b, 0));
      // Refused calls wrote nothing: each user has exactly the jobs that were accepted.
      for (const user of users) expect(await jobsOf(user.uid)).toBe(accepted.filter((o) => o.user === user).length);
      for (const o of accepted) await o.user.cancelVideoJob(o.jobId!);
    } finally {
      await Promise.all(users.map((user) => user.close()));
    }
  });

  it('the ledgers and the job documents agree once every job has ended', async () => {
    await untilNoActiveJobs();
    const month = utcMonthKey(new Date());
    const jobs = await adminDb().collection('jobs').where('reservation.month', '==', month).get();
    const costs = jobs.docs.reduce((sum, doc) => sum + toMicroUsd(Number(doc.get('costUsd'))), 0);
    const shards = await monthShards(month);
    const totals = [...shards.values()].reduce((sum, t) => ({ reserved: sum.reserved + t.reservedMicroUsd, spent: sum.spent + t.spentMicroUsd }), { reserved: 0, spent: 0 });
    expect(totals).toEqual({ reserved: 0, spent: costs });
  });
});
