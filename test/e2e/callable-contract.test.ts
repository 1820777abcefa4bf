import { randomUUID } from 'node:crypto';
import { jobsOf } from '../support/admin';
import { setStepMs } from '../support/comfy-sim';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(90_000);

describe('createVideoJob: idempotency and the per-user limit', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterAll(async () => {
    await setStepMs(60);
    await user.close();
  });

  it('returns the same job for a repeated idempotency key, and refuses the key for another request', async () => {
    const idempotencyKey = randomUUID();
    const input = { prompt: 'a lantern festival', model: 'animatediff', idempotencyKey };
    const [first, second] = await Promise.all([user.createVideoJob(input), user.createVideoJob(input)]);
    const third = await user.createVideoJob(input);
    expect(second.jobId).toBe(first.jobId);
    expect(third.jobId).toBe(first.jobId);
    expect(await jobsOf(user.uid)).toBe(1);

    await expect(user.createVideoJob({ ...input, prompt: 'something else' })).rejects.toMatchObject({
      code: 'functions/failed-precondition',
      message: expect.stringMatching(/idempotencyKey: was already used for a different request/),
    });
    const watch = watchJob(user, first.jobId);
    expect((await watch.until(isTerminalJob)).state).toBe('succeeded');
    watch.stop();
  });

  it('refuses a job beyond the active limit with resource-exhausted, writing nothing', async () => {
    await setStepMs(400);
    const other = await signedInUser();
    try {
      const created = [];
      for (let i = 0; i < 3; i += 1) created.push(await other.createVideoJob({ prompt: `a slow river ${i}`, model: 'animatediff' }));
      await expect(other.createVideoJob({ prompt: 'one too many', model: 'animatediff' })).rejects.toMatchObject({
        code: 'functions/resource-exhausted',
        message: expect.stringMatching(/You already have 3 videos in progress \(the limit is 3\)/),
      });
      expect(await jobsOf(other.uid)).toBe(3);
      for (const { jobId } of created) await other.cancelVideoJob(jobId);
      // With the others cancelled, there is room again.
      const { jobId } = await other.createVideoJob({ prompt: 'now there is room', model: 'animatediff' });
      expect((await other.cancelVideoJob(jobId)).state).toBe('cancelled');
    } finally {
      await other.close();
    }
  });
});
