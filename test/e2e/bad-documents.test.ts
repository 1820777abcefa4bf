import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createJob, CreateVideoJobRequestSchema, type Job, type Tier } from '@vidgen/contract';
import { adminDb, jobWhen } from '../support/admin';
import { stackState } from '../support/stack-state';
import { attemptsRunning, operatorGet } from '../support/worker-intake';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(240_000);

/** Long before anything this stack wrote: first in line for every query the watchdog and the workers make. */
const LONG_AGO = new Date('2001-01-01T00:00:00Z');
const URL_OR_PATH = /[a-z]+:\/\/|(^|\s)\/\w|\w\/\w+\//i;

/** A valid queued job as createVideoJob writes it, `ageMs` old, whose first attempt was never handed to the queue. */
function queuedJob(ownerUid: string, tier: Tier, ageMs: number): Job {
  const request = CreateVideoJobRequestSchema.parse({ prompt: `a lantern on a jetty ${randomUUID()}`, model: tier });
  return createJob({ ownerUid, request, plan: [tier], now: new Date(Date.now() - ageMs) }).job;
}

/** Waits until no worker runs or claims an attempt, so that the next test file finds them idle. */
async function workersIdle(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await Promise.all(stackState().workers.map((worker) => attemptsRunning(worker.url)));
    if (running.every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`Workers still busy after ${timeoutMs} ms: ${running.join(', ')} attempts`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Sums a Prometheus counter's samples (all labels matching `labels`) across the stack's workers. */
async function counterAcrossWorkers(name: string, labels: string): Promise<number> {
  let total = 0;
  for (const worker of stackState().workers) {
    const text = await (await operatorGet(worker.url, '/metrics')).text();
    for (const match of text.matchAll(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\S+)$`, 'gm'))) total += Number(match[1]);
  }
  return total;
}

// The next test file (the worker surface's, say) counts on idle workers: wait for the runs this file started to let go.
afterAll(() => workersIdle(30_000));

describe('the watchdog and the backlog puller survive a document they cannot read', () => {
  const owner = `bad-docs-${randomUUID()}`;
  const written: string[] = [];
  const jobs = () => adminDb().collection('jobs');

  async function write(data: object): Promise<string> {
    const ref = jobs().doc();
    await ref.set(data);
    written.push(ref.id);
    return ref.id;
  }

  afterAll(async () => {
    await Promise.all(written.map((id) => jobs().doc(id).delete()));
    await adminDb().doc(`quotas/${owner}`).delete();
  });

  it('hands back and re-dispatches the good jobs, and pulls the backlog, beside corrupt ones', async () => {
    // Schema drift: documents a newer contract wrote, first in line for the lease sweep, the
    // stale-pending sweep and every worker's backlog pull.
    const drifted = { schemaVersion: 99, ownerUid: owner, note: 'a field this contract does not know', updatedAt: LONG_AGO, createdAt: LONG_AGO };
    const corruptRunning = await write({
      ...drifted,
      state: 'running',
      attempt: { index: 0, tier: 'animatediff', backend: 'comfyui', state: 'running', leaseExpiresAt: LONG_AGO, dispatchCount: 0, createdAt: LONG_AGO },
    });
    const corruptPending = await write({
      ...drifted,
      state: 'queued',
      attempt: { index: 0, tier: 'animatediff', backend: 'comfyui', state: 'pending', leaseExpiresAt: null, dispatchCount: 0, createdAt: LONG_AGO },
    });

    // A worker died holding this one: its lease ran out a minute ago.
    const dead = queuedJob(owner, 'animatediff', 120_000);
    const expiredId = await write({
      ...dead,
      state: 'running',
      attempt: { ...dead.attempt!, state: 'running', workerId: 'a-worker-that-died', leaseToken: 'a-worker-that-died:lost', leaseExpiresAt: new Date(Date.now() - 60_000), startedAt: dead.createdAt },
    });
    // What createVideoJob leaves when its enqueue fails: queued, attempt pending, never dispatched.
    // Veo runs in the functions, so no worker pulls it: only the watchdog's stale-pending sweep can.
    const lostId = await write(queuedJob(owner, 'veo', 10 * 60_000));
    // A fresh pending ComfyUI attempt never handed to the queue: only a worker's backlog pull takes it this soon.
    const backlogId = await write(queuedJob(owner, 'animatediff', 0));

    const [handedBack, redispatched, pulled] = await Promise.all([
      jobWhen(expiredId, isTerminalJob, 90_000),
      // Long enough for a second re-dispatch (after WORKER_WAIT_SECONDS + 60 s) should the first task be lost.
      jobWhen(lostId, isTerminalJob, 180_000),
      jobWhen(backlogId, isTerminalJob, 90_000),
    ]);

    expect(handedBack.state).toBe('succeeded');
    expect(handedBack.attempts).toEqual([
      expect.objectContaining({ index: 0, workerId: 'a-worker-that-died', outcome: 'failed', error: expect.objectContaining({ code: 'lease_expired' }) }),
      expect.objectContaining({ index: 1, tier: 'animatediff', backend: 'comfyui', outcome: 'succeeded' }),
    ]);

    expect(redispatched.state).toBe('succeeded');
    expect(redispatched.attempts).toEqual([expect.objectContaining({ index: 0, tier: 'veo', backend: 'gemini', outcome: 'succeeded' })]);

    expect(pulled.state).toBe('succeeded');
    expect(pulled.attempts).toEqual([expect.objectContaining({ index: 0, backend: 'comfyui', outcome: 'succeeded', workerId: expect.stringMatching(/^local-worker-/) })]);

    // The corrupt documents are left exactly as they were: nothing rewrites what it cannot read.
    for (const id of [corruptRunning, corruptPending]) expect((await jobs().doc(id).get()).get('schemaVersion')).toBe(99);
    // ...and each skip was counted: by the workers' backlog pull, and by the watchdog in its log.
    expect(await counterAcrossWorkers('vidgen_backlog_pull_failures_total', 'reason="unreadable_job"')).toBeGreaterThan(0);
    const functionsLog = join(dirname(process.env.VIDGEN_STACK_STATE!), 'logs', 'firebase.log');
    if (existsSync(functionsLog)) {
      const log = readFileSync(functionsLog, 'utf8');
      for (const id of [corruptRunning, corruptPending]) expect(log).toMatch(new RegExp(`Watchdog could not handle job ${id} \\(unreadable_job\\)`));
    }
  });
});

describe('job documents carry messages for users', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterAll(() => user.close());

  it('keeps storage paths and internal URLs out of a failed job\'s messages', async () => {
    // The worker fails reading the image from the store; the detail (path, store URL) goes to its log.
    const { jobId } = await user.createVideoJob({ prompt: 'a missing picture', model: 'svd', referenceImagePath: `uploads/${user.uid}/nothing-here.png` });
    const watch = watchJob(user, jobId);
    const done = await watch.until(isTerminalJob, 90_000);
    watch.stop();
    expect(done.state).toBe('failed');
    expect(done.error).toEqual({ code: 'reference_image_missing', message: 'The reference image could not be read.', retryable: false });
    for (const attempt of done.attempts as Array<{ error: { message: string } | null }>) expect(attempt.error?.message ?? '').not.toMatch(URL_OR_PATH);
    expect(done.error.message).not.toMatch(URL_OR_PATH);
    expect(done.error.message).not.toContain('nothing-here');
  });
});
