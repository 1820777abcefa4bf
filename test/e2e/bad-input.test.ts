import { FunctionsError } from 'firebase/functions';
import { jobsOf } from '../support/admin';
import { signedInUser, type WebUser } from '../support/web-client';

jest.setTimeout(60_000);

async function callError(user: WebUser, input: unknown): Promise<FunctionsError> {
  try {
    await user.createVideoJob(input as Record<string, unknown>);
  } catch (error) {
    return error as FunctionsError;
  }
  throw new Error(`createVideoJob accepted ${JSON.stringify(input)}`);
}

describe('createVideoJob refuses bad input with a clear error and writes nothing', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterAll(() => user.close());

  const cases: Array<[string, unknown, RegExp]> = [
    ['no prompt', {}, /prompt: /],
    ['an empty prompt', { prompt: '   ' }, /prompt: must not be empty/],
    ['a prompt too long', { prompt: 'x'.repeat(2001) }, /prompt: must be at most 2000 characters/],
    ['a prompt of the wrong type', { prompt: 42 }, /prompt: must be a string/],
    ['an unknown model', { prompt: 'a fox', model: 'sora' }, /model: /],
    ['an unknown field', { prompt: 'a fox', colour: 'red' }, /colour: is not a known field/],
    ['a negative seed', { prompt: 'a fox', seed: -1 }, /seed: must be at least 0/],
    ['a fractional duration', { prompt: 'a fox', durationSeconds: 2.5 }, /durationSeconds: must be a whole number/],
    ['a duration no tier makes', { prompt: 'a fox', durationSeconds: 200 }, /durationSeconds: veo makes 4, 6, 8 s, or 9-148 s by extension, not 200 s; durationSeconds: animatediff makes 1-4 s/],
    ['a duration the named tier cannot make', { prompt: 'a fox', model: 'animatediff', durationSeconds: 8 }, /durationSeconds: animatediff makes 1-4 s, not 8 s/],
    ['an aspect ratio the named tier lacks', { prompt: 'a fox', model: 'veo', aspectRatio: '1:1' }, /aspectRatio: veo offers 16:9, 9:16, not 1:1/],
    ['path traversal in the image path', { prompt: 'a fox', referenceImagePath: 'uploads/../secrets/key.png' }, /referenceImagePath: must be a Storage path/],
    ['an image path outside uploads/', { prompt: 'a fox', referenceImagePath: 'videos/someone/x.png' }, /referenceImagePath: /],
    ['another user\'s upload', { prompt: 'a fox', referenceImagePath: 'uploads/someoneElse/cat.png' }, /referenceImagePath: must be one of your own uploads/],
    ['a bad idempotency key', { prompt: 'a fox', idempotencyKey: 'has spaces' }, /idempotencyKey: /],
    ['a huge prompt (1 MB)', { prompt: 'x'.repeat(1_000_000) }, /prompt: must be at most 2000 characters/],
    ['a prompt as an array', { prompt: ['a', 'fox'] }, /prompt: must be a string/],
    ['a null prompt', { prompt: null }, /prompt: must be a string/],
    ['a prompt as an object', { prompt: { text: 'a fox' } }, /prompt: must be a string/],
    ['2001 emoji (characters, not bytes, are counted)', { prompt: '🦊'.repeat(2001) }, /prompt: must be at most 2000 characters/],
    ['a seed as a string', { prompt: 'a fox', seed: '42' }, /seed: must be a number/],
    ['a seed beyond 32 bits', { prompt: 'a fox', seed: 2 ** 32 }, /seed: must be at most 4294967295/],
    ['a duration as a string', { prompt: 'a fox', durationSeconds: '4' }, /durationSeconds: must be a number/],
    ['a model in the wrong case', { prompt: 'a fox', model: 'VEO' }, /model: /],
    ['an aspect ratio that does not exist', { prompt: 'a fox', aspectRatio: '4:3' }, /aspectRatio: /],
    ['a traversal inside the own folder', { prompt: 'a fox', referenceImagePath: 'uploads/u1/../../videos/u2/x.png' }, /referenceImagePath: must be a Storage path/],
    ['an encoded traversal', { prompt: 'a fox', referenceImagePath: 'uploads/u1/%2e%2e/x.png' }, /referenceImagePath: must be a Storage path/],
    ['a backslash path', { prompt: 'a fox', referenceImagePath: 'uploads\\u1\\x.png' }, /referenceImagePath: must be a Storage path/],
    ['an absolute path', { prompt: 'a fox', referenceImagePath: '/uploads/u1/x.png' }, /referenceImagePath: must be a Storage path/],
    ['a gs:// URL', { prompt: 'a fox', referenceImagePath: 'gs://bucket/uploads/u1/x.png' }, /referenceImagePath: must be a Storage path/],
    ['a non-image file', { prompt: 'a fox', referenceImagePath: 'uploads/u1/x.mp4' }, /referenceImagePath: must be a Storage path/],
  ];

  it('accepts unicode prompts within the limit', async () => {
    // Another user: the job may well succeed before the cancel lands, and the cases below count
    // \`user\`'s jobs to show that a refused call writes nothing.
    const other = await signedInUser();
    try {
      const { jobId } = await other.createVideoJob({ prompt: '雪の中の赤い狐 🦊 — ünïcödé', model: 'animatediff' });
      expect(jobId).toBeTruthy();
      await other.cancelVideoJob(jobId);
    } finally {
      await other.close();
    }
  });

  it.each(cases)('%s → invalid-argument naming the field', async (_name, input, message) => {
    const error = await callError(user, input);
    expect(error.code).toBe('functions/invalid-argument');
    expect(error.message).toMatch(message);
    expect(await jobsOf(user.uid, ['queued', 'running', 'succeeded', 'failed'])).toBe(0);
  });

  it('a caller who is not signed in → unauthenticated', async () => {
    const anonymous = await signedInUser({ signIn: false });
    const error = await callError(anonymous, { prompt: 'a fox' });
    await anonymous.close();
    expect(error.code).toBe('functions/unauthenticated');
    expect(error.message).toMatch(/Sign in/);
  });

  it('cancelVideoJob on an unknown job → not-found', async () => {
    await expect(user.cancelVideoJob('noSuchJob')).rejects.toMatchObject({ code: 'functions/not-found' });
  });
});
