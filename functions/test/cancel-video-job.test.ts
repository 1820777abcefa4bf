import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { cancelVideoJob } from '../src/api/cancel-video-job';
import { createVideoJob } from '../src/api/create-video-job';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { callAs, deployParameters } from './support/callable';
import { claimJob, testServices, type TestServices } from './support/services';

jest.setTimeout(20_000);
deployParameters();

/** cancelVideoJob on the Firestore emulator: who may cancel, what a cancel frees and removes. */
describe('cancelVideoJob', () => {
  let firestore: UnitFirestore;
  let t: TestServices;

  beforeAll(() => {
    firestore = unitFirestore('cancel-job');
    t = testServices(firestore);
  });
  afterAll(() => firestore.close());

  async function created(uid: string, extra: Record<string, unknown> = {}): Promise<string> {
    return (await createVideoJob(callAs(uid, { prompt: 'a heron in fog', model: 'animatediff', ...extra }), t.services)).jobId;
  }

  it('cancels its owner\'s running job, frees its slot, and removes its reference upload', async () => {
    const uid = `user-${randomUUID()}`;
    const reference = `uploads/${uid}/ref.png`;
    await t.store.put(reference, Readable.from([Buffer.from('png')]), { contentType: 'image/png' });
    const jobId = await created(uid, { referenceImagePath: reference, model: 'svd' });
    await claimJob(t.services, jobId);

    expect(await cancelVideoJob(callAs(uid, { jobId }), t.services)).toEqual({ state: 'cancelled' });
    expect(await t.services.jobs.get(jobId)).toMatchObject({ state: 'cancelled', attempt: null, attempts: [expect.objectContaining({ outcome: 'cancelled' })] });
    expect((await t.services.jobs.quotaRef(uid).get()).get('active')).toBe(0);
    expect(t.store.paths()).not.toContain(reference);
    // Twice is harmless, and says how the job stands.
    expect(await cancelVideoJob(callAs(uid, { jobId }), t.services)).toEqual({ state: 'cancelled' });
  });

  it('refuses someone else\'s job and an unknown one, changing nothing', async () => {
    const jobId = await created(`user-${randomUUID()}`);
    const before = await t.services.jobs.get(jobId);
    await expect(cancelVideoJob(callAs(`user-${randomUUID()}`, { jobId }), t.services)).rejects.toMatchObject({ code: 'permission-denied' });
    await expect(cancelVideoJob(callAs('anyone', { jobId: 'no-such-job' }), t.services)).rejects.toMatchObject({ code: 'not-found' });
    expect(await t.services.jobs.get(jobId)).toEqual(before);
  });
});
