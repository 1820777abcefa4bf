import { adminDb, jobsOf } from '../support/admin';
import { signedInUser, type WebUser } from '../support/web-client';

jest.setTimeout(60_000);

/**
 * The stack enforces App Check as a deployment does by default (ENFORCE_APP_CHECK=true). The
 * functions emulator decodes App Check tokens without verifying their signature, so what can be
 * shown here is the enforcement itself: a client without App Check is refused, the same client with
 * it (an emulator token from @vidgen/client's initAppCheck) is served, and the handler sees its app.
 */
describe('App Check', () => {
  let withoutAppCheck: WebUser;
  let withAppCheck: WebUser;
  beforeAll(async () => {
    withoutAppCheck = await signedInUser({ appCheck: false });
    withAppCheck = await signedInUser();
  });
  afterAll(async () => {
    await withoutAppCheck.close();
    await withAppCheck.close();
  });

  it('refuses a signed-in client that sends no App Check token, and writes nothing', async () => {
    await expect(withoutAppCheck.createVideoJob({ prompt: 'no token', model: 'animatediff' })).rejects.toMatchObject({
      code: 'functions/unauthenticated',
      message: expect.stringMatching(/App Check token \(App Check is enforced\)/),
    });
    await expect(withoutAppCheck.cancelVideoJob('no-such-job')).rejects.toMatchObject({ code: 'functions/unauthenticated' });
    expect(await jobsOf(withoutAppCheck.uid)).toBe(0);
    expect((await adminDb().doc(`quotas/${withoutAppCheck.uid}`).get()).exists).toBe(false);
  });

  it('serves the same call from a client with App Check', async () => {
    const { jobId } = await withAppCheck.createVideoJob({ prompt: 'with a token', model: 'animatediff' });
    expect(jobId).toEqual(expect.any(String));
    expect((await withAppCheck.cancelVideoJob(jobId)).state).toBe('cancelled');
  });
});
