import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_RETENTION_DAYS, IDEMPOTENCY_RETENTION_DAYS } from '@vidgen/contract';
import { CloudObjectStore } from '@vidgen/media';
import { adminApp, adminDb } from '../support/admin';
import { setStepMs } from '../support/comfy-sim';
import { stackState } from '../support/stack-state';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const DAY_MS = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'vidgen-retention-'));

/** The status the local store answers for an object (200 there, 404 gone), through the Cloud Storage JSON API. */
async function objectStatus(path: string): Promise<number> {
  const { ports, projectId } = stackState();
  const response = await fetch(`http://127.0.0.1:${ports.store}/storage/v1/b/${projectId}.appspot.com/o/${encodeURIComponent(path)}`);
  await response.arrayBuffer();
  return response.status;
}

async function uploadReferenceImage(uid: string): Promise<string> {
  const file = join(dir, `${randomUUID()}.png`);
  execFileSync(ffmpeg, ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=640x360', '-frames:v', '1', file]);
  const path = `uploads/${uid}/${randomUUID()}.png`;
  await new CloudObjectStore(adminApp(), `${stackState().projectId}.appspot.com`).put(path, createReadStream(file), { contentType: 'image/png' });
  return path;
}

/** Polls until the object's status is `status` (a job's end removes the upload right after its write). */
async function objectBecomes(path: string, status: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await objectStatus(path)) !== status) {
    if (Date.now() > deadline) throw new Error(`${path} is still not ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('retention: what the service stores says when it goes', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterAll(async () => {
    await setStepMs(60);
    await user.close();
  });

  it('an ended job carries the expiresAt Firestore\'s TTL deletes it by, its video the time the lifecycle rule may remove it, its idempotency record one too', async () => {
    const idempotencyKey = randomUUID();
    const { jobId } = await user.createVideoJob({ prompt: `kept ${randomUUID()} a quiet harbour`, model: 'animatediff', idempotencyKey });
    const watch = watchJob(user, jobId);
    const running = await watch.until((job) => job.state === 'running');
    expect(running.expiresAt).toBeNull();
    expect(running.retentionDays).toEqual(DEFAULT_RETENTION_DAYS);
    const done = await watch.until(isTerminalJob, 90_000);
    watch.stop();
    expect(done.state).toBe('succeeded');
    const endedAt = done.attempts.at(-1).endedAt.toMillis();
    expect(done.expiresAt.toMillis()).toBe(endedAt + DEFAULT_RETENTION_DAYS.job * DAY_MS);
    expect(done.output.expiresAt.toMillis()).toBe(endedAt + DEFAULT_RETENTION_DAYS.video * DAY_MS);

    const key = (await adminDb().doc(`idempotencyKeys/${createHash('sha256').update(`${user.uid}:${idempotencyKey}`).digest('hex')}`).get()).data()!;
    expect(key.jobId).toBe(jobId);
    expect(key.expiresAt.toMillis()).toBe(key.createdAt.toMillis() + IDEMPOTENCY_RETENTION_DAYS * DAY_MS);
  });

  it('a reference upload is removed once no job that has not ended needs it', async () => {
    await setStepMs(200);
    const referenceImagePath = await uploadReferenceImage(user.uid);
    const first = await user.createVideoJob({ prompt: 'the first of two', model: 'svd', referenceImagePath });
    const second = await user.createVideoJob({ prompt: 'the second of two', model: 'svd', referenceImagePath });
    // The first ends while the second still needs the image: it stays.
    expect((await user.cancelVideoJob(first.jobId)).state).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await objectStatus(referenceImagePath)).toBe(200);
    // The second ends: nothing needs it any more.
    const watch = watchJob(user, second.jobId);
    const done = await watch.until(isTerminalJob, 90_000);
    watch.stop();
    expect(done.state).toBe('succeeded');
    await objectBecomes(referenceImagePath, 404);
  });
});
