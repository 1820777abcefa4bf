import { adminDb, jobsOf } from '../support/admin';
import { setStepMs } from '../support/comfy-sim';
import { refusalOf, restoreLimits, useLimits, userLedgerExists, writeLimits, type Refusal } from '../support/limits';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';
import { DEMO_LIMITS } from '../../scripts/stack/demo-limits';

jest.setTimeout(120_000);

function refusal(user: WebUser, input: Record<string, unknown>): Promise<Refusal> {
  return refusalOf(() => user.createVideoJob(input));
}

/** What a refused call must leave: no job, no ledger entry, for a user who never made one. */
async function expectNothingWritten(user: WebUser): Promise<void> {
  expect(await jobsOf(user.uid)).toBe(0);
  expect(await userLedgerExists(user.uid)).toBe(false);
}

/** The plan of a job as written. */
async function planOf(jobId: string): Promise<string[]> {
  return (await adminDb().doc(`jobs/${jobId}`).get()).get('plan') as string[];
}

describe('live controls in config/limits', () => {
  let anonymous: WebUser;
  let member: WebUser;
  beforeAll(async () => {
    [anonymous, member] = await Promise.all([signedInUser(), signedInUser({ signIn: 'password' })]);
  });
  afterEach(async () => {
    await setStepMs(60);
    await restoreLimits();
  });
  afterAll(async () => {
    await Promise.all([anonymous.close(), member.close()]);
  });

  it('takes a console edit (an Admin SDK write) into account within 5 s, both ways', async () => {
    // The probe is an anonymous call naming Veo: permission-denied while anonymous users are kept
    // to AnimateDiff, unavailable while paused. Neither writes anything, so it can be repeated freely.
    await useLimits({ anonymousModels: ['animatediff'] });
    const guest = await signedInUser();
    const probe = async () => (await refusal(guest, { prompt: 'is it paused yet', model: 'veo' })).code;
    /** How long after `editedAt` the first call that saw the edit started. */
    const untilSeen = async (code: string, editedAt: number): Promise<number> => {
      for (;;) {
        const startedAt = Date.now();
        if ((await probe()) === code) return startedAt - editedAt;
        if (startedAt - editedAt > 15_000) throw new Error(`no ${code} 15 s after the edit`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      expect(await probe()).toBe('functions/permission-denied');
      const pausedAt = Date.now();
      await writeLimits({ ...DEMO_LIMITS, anonymousModels: ['animatediff'], paused: true, pausedMessage: 'Paused from the console' });
      expect(await untilSeen('functions/unavailable', pausedAt)).toBeLessThanOrEqual(5_000);
      const resumedAt = Date.now();
      await writeLimits({ ...DEMO_LIMITS, anonymousModels: ['animatediff'], paused: false });
      expect(await untilSeen('functions/permission-denied', resumedAt)).toBeLessThanOrEqual(5_000);
      await expectNothingWritten(guest);
    } finally {
      await guest.close();
    }
  });

  it('paused: refuses every new job with unavailable and the operator\'s message, writes nothing, and lets running jobs finish', async () => {
    await setStepMs(150);
    const { jobId } = await member.createVideoJob({ prompt: 'a job that was running before the pause', model: 'animatediff' });
    const watch = watchJob(member, jobId);
    await watch.until((job) => job.state === 'running');
    await useLimits({ paused: true, pausedMessage: 'We are down for maintenance until 10:00 UTC.' });

    const fresh = await signedInUser({ signIn: 'password' });
    try {
      for (const user of [fresh, anonymous]) {
        for (const model of ['auto', 'animatediff', 'veo']) {
          expect(await refusal(user, { prompt: 'a new job while paused', model })).toMatchObject({
            code: 'functions/unavailable',
            message: 'We are down for maintenance until 10:00 UTC.',
          });
        }
      }
      await expectNothingWritten(fresh);
      expect((await watch.until(isTerminalJob, 90_000)).state).toBe('succeeded');
    } finally {
      watch.stop();
      await fresh.close();
    }
  });

  it('anonymousModels: an anonymous caller naming another tier gets permission-denied and nothing is written; auto keeps the allowed tiers', async () => {
    await useLimits({ anonymousModels: ['animatediff'] });
    const guest = await signedInUser();
    try {
      for (const model of ['veo', 'svd']) {
        expect(await refusal(guest, { prompt: 'a tier anonymous users may not use', model })).toMatchObject({
          code: 'functions/permission-denied',
          message: `model: ${model} needs a signed-in account; anonymous users may use animatediff.`,
        });
      }
      // Only Veo makes 8 s: auto has nothing left for an anonymous caller.
      expect(await refusal(guest, { prompt: 'eight seconds', model: 'auto', durationSeconds: 8 })).toMatchObject({ code: 'functions/permission-denied' });
      await expectNothingWritten(guest);

      const { jobId } = await guest.createVideoJob({ prompt: 'auto, as an anonymous user' });
      expect(await planOf(jobId)).toEqual(['animatediff']);
      await guest.cancelVideoJob(jobId);
      // A signed-in caller is not bound by anonymousModels.
      const named = await member.createVideoJob({ prompt: 'veo, signed in', model: 'veo', durationSeconds: 4 });
      expect(await planOf(named.jobId)).toEqual(['veo']);
      await member.cancelVideoJob(named.jobId);
    } finally {
      await guest.close();
    }
  });

  it('tiers: a switched-off tier named is refused with unavailable and nothing is written; auto skips it', async () => {
    await useLimits({ tiers: { veo: { enabled: false }, animatediff: { enabled: true }, svd: { enabled: true } } });
    const fresh = await signedInUser({ signIn: 'password' });
    try {
      expect(await refusal(fresh, { prompt: 'veo is off', model: 'veo' })).toMatchObject({
        code: 'functions/unavailable',
        message: 'model: veo is switched off for now; try again later or choose another model.',
      });
      expect(await refusal(fresh, { prompt: 'only veo makes 8 s', durationSeconds: 8 })).toMatchObject({ code: 'functions/unavailable' });
      await expectNothingWritten(fresh);
      const { jobId } = await fresh.createVideoJob({ prompt: 'auto without veo' });
      expect(await planOf(jobId)).toEqual(['animatediff', 'svd']);
      await fresh.cancelVideoJob(jobId);
    } finally {
      await fresh.close();
    }
  });

  it('userJobsPerMinute: beyond it, resource-exhausted with the seconds to wait, and nothing more is written', async () => {
    await useLimits({ userJobsPerMinute: 2 });
    const fresh = await signedInUser({ signIn: 'password' });
    try {
      const made = [];
      for (let i = 0; i < 2; i += 1) made.push(await fresh.createVideoJob({ prompt: `within the rate ${i}`, model: 'animatediff' }));
      // Cancelling frees the active-jobs limit but not the rate: creations count, whatever became of them.
      for (const { jobId } of made) await fresh.cancelVideoJob(jobId);
      const error = await refusal(fresh, { prompt: 'one too fast', model: 'animatediff' });
      expect(error).toMatchObject({ code: 'functions/resource-exhausted', message: expect.stringMatching(/^You are creating videos too fast \(at most 2 a minute\); try again in \d+ s\.$/) });
      const { retryAfterSeconds } = error.details as { retryAfterSeconds: number };
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(await jobsOf(fresh.uid)).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('an invalid field is ignored for its default, never for "unlimited"', async () => {
    // userJobsPerMinute "none" is invalid: its default (5 a minute) applies, not no limit at all.
    await useLimits({ userJobsPerMinute: 'none' as unknown as number, anonymousModels: ['animatediff', 'sora'] as unknown as ['animatediff'] });
    const guest = await signedInUser();
    try {
      // anonymousModels falls back to its default (animatediff only).
      expect(await refusal(guest, { prompt: 'veo as a guest', model: 'veo' })).toMatchObject({ code: 'functions/permission-denied' });
      const made = [];
      for (let i = 0; i < 5; i += 1) {
        const { jobId } = await guest.createVideoJob({ prompt: `default rate ${i}`, model: 'animatediff' });
        made.push(jobId);
        await guest.cancelVideoJob(jobId);
      }
      expect(await refusal(guest, { prompt: 'the sixth this minute', model: 'animatediff' })).toMatchObject({ code: 'functions/resource-exhausted' });
      expect(made).toHaveLength(5);
    } finally {
      await guest.close();
    }
  });
});
