import { randomUUID } from 'node:crypto';
import { adminDb, deliverRunAttempt } from '../support/admin';
import { setStepMs, simControl } from '../support/comfy-sim';
import { stackState } from '../support/stack-state';
import { attemptsRunning } from '../support/worker-intake';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(150_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Faults a ComfyUI process or its socket can throw at a job: each job still ends correctly. */
describe('fault injection', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterEach(async () => {
    await simControl('/sim/faults', undefined, 'DELETE').catch(() => undefined);
    await setStepMs(60).catch(() => undefined);
  });
  afterAll(() => user.close());

  async function run(prompt: string) {
    const { jobId } = await user.createVideoJob({ prompt, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    const done = await watch.until(isTerminalJob, 120_000);
    watch.stop();
    return { jobId, done };
  }

  async function outputsOf(jobId: string): Promise<string[]> {
    const { storeDir, projectId } = stackState();
    const { readdir } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { uid } = user;
    const files = await readdir(join(storeDir, `${projectId}.appspot.com`, 'videos', uid, jobId)).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.mp4'));
  }

  it('a dropped and restored WebSocket loses nothing', async () => {
    const marker = `drop-${randomUUID()}`;
    await simControl('/sim/faults', { kind: 'drop_socket', promptContains: marker, atStep: 5 });
    const { jobId, done } = await run(`${marker} a kite over dunes`);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect(await outputsOf(jobId)).toEqual(['attempt-0.mp4']);
  });

  it('ComfyUI dying mid-sampling: the prompt is reported lost and retried on the same tier', async () => {
    const marker = `exit-${randomUUID()}`;
    await simControl('/sim/faults', { kind: 'exit', promptContains: marker, atStep: 3 });
    const { jobId, done } = await run(`${marker} a clock tower`);
    expect(done.state).toBe('succeeded');
    expect(done.attempts.length).toBeGreaterThanOrEqual(2);
    const failures = done.attempts.filter((a: { outcome: string }) => a.outcome === 'failed');
    for (const failure of failures) expect(['comfyui_prompt_lost', 'comfyui_unreachable']).toContain(failure.error.code);
    expect(done.attempts.at(-1)).toMatchObject({ tier: 'animatediff', outcome: 'succeeded' });
    expect(await outputsOf(jobId)).toEqual([`attempt-${done.attempts.length - 1}.mp4`]);
  });

  it('ComfyUI stuck without events: the attempt stalls out and is retried', async () => {
    const marker = `stuck-${randomUUID()}`;
    await simControl('/sim/faults', { kind: 'stuck', promptContains: marker, atStep: 2 });
    const { done } = await run(`${marker} a frozen lake`);
    expect(done.state).toBe('succeeded');
    const failures = done.attempts.filter((a: { outcome: string }) => a.outcome === 'failed');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const failure of failures) expect(failure.error).toMatchObject({ code: 'comfyui_stalled', retryable: true });
  });

  it('a prompt ComfyUI silently forgets is reported lost and retried', async () => {
    const marker = `lose-${randomUUID()}`;
    await simControl('/sim/faults', { kind: 'lose_prompt', promptContains: marker, atStep: 2 });
    const { done } = await run(`${marker} a lantern`);
    expect(done.state).toBe('succeeded');
    expect(done.attempts[0].error.code).toBe('comfyui_prompt_lost');
  });

  it('a late duplicate of a finished attempt\'s task changes nothing', async () => {
    const { jobId, done } = await run(`a paper lantern ${randomUUID()}`);
    expect(done.state).toBe('succeeded');
    await deliverRunAttempt(jobId, 0, `${jobId}-late-duplicate`);
    await sleep(2500);
    const after = (await adminDb().doc(`jobs/${jobId}`).get()).data()!;
    expect(after.updatedAt.toMillis()).toBe(done.updatedAt.toMillis());
    expect(after.attempts).toHaveLength(1);
  });

  it('a task for a cancelled job runs nothing', async () => {
    const { jobId } = await user.createVideoJob({ prompt: `never to be made ${randomUUID()}`, model: 'animatediff' });
    expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
    const cancelled = (await adminDb().doc(`jobs/${jobId}`).get()).data()!;
    await deliverRunAttempt(jobId, 0, `${jobId}-after-cancel`);
    await sleep(2500);
    const after = (await adminDb().doc(`jobs/${jobId}`).get()).data()!;
    expect(after.state).toBe('cancelled');
    expect(after.updatedAt.toMillis()).toBe(cancelled.updatedAt.toMillis());
    expect(after.output).toBeNull();
    expect(after.attempts.every((a: { outcome: string }) => a.outcome === 'cancelled')).toBe(true);
  });

  it('a worker killed mid-upload: its attempt is retried and the store ends with one video, the winner\'s', async () => {
    await setStepMs(300);
    const { jobId } = await user.createVideoJob({ prompt: `upload-${randomUUID()} a paper boat`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    const sampling = await watch.until((job) => job.state === 'running' && job.progress.stage === 'sampling');
    const victim = stackState().workers.find((w) => w.workerId === sampling.attempt.workerId)!;
    const storePid = stackState().storePid!;
    // A store that takes the bytes but never answers: the victim's upload is in flight when it dies.
    process.kill(storePid, 'SIGSTOP');
    try {
      await setStepMs(60);
      await watch.until((job) => job.progress.stage === 'uploading', 30_000);
      await sleep(1000);
      process.kill(victim.pid!, 'SIGKILL');
      expect(await outputsOf(jobId)).toEqual([]);
    } finally {
      process.kill(storePid, 'SIGCONT');
    }

    const done = await watch.until(isTerminalJob, 90_000);
    watch.stop();
    expect(done.state).toBe('succeeded');
    expect(done.attempts[0]).toMatchObject({ outcome: 'failed', workerId: victim.workerId, error: { code: 'lease_expired' }, costKnown: true });
    // The dead worker is charged for the GPU it held until its lease ran out (not until the watchdog noticed).
    const lost = done.attempts[0];
    expect(lost.costUsd).toBeGreaterThan(0);
    expect(lost.costUsd).toBeLessThanOrEqual(((lost.endedAt.toMillis() - lost.startedAt.toMillis()) / 3_600_000) * 0.44 + 1e-6);
    expect(done.costUsd).toBeCloseTo(done.attempts.reduce((sum: number, a: { costUsd: number }) => sum + a.costUsd, 0), 9);
    const winner = `attempt-${done.attempts.length - 1}`;
    expect(done.output.storagePath).toBe(`videos/${user.uid}/${jobId}/${winner}.mp4`);
    // Whether the dead worker's last bytes had left or not, nothing of its attempt stays in the store
    // (the winner tidies right after its finishing write, which the snapshot may beat).
    let stored = await outputsOf(jobId);
    for (let i = 0; i < 20 && stored.length > 1; i += 1) {
      await sleep(250);
      stored = await outputsOf(jobId);
    }
    expect(stored).toEqual([`${winner}.mp4`]);
    const { ports, projectId } = stackState();
    const removed = await fetch(`http://127.0.0.1:${ports.store}/storage/v1/b/${projectId}.appspot.com/o/${encodeURIComponent(`videos/${user.uid}/${jobId}/attempt-0.mp4`)}`);
    expect(removed.status).toBe(404);
  });

  it('a frozen worker that wakes after losing its lease writes nothing and stores nothing', async () => {
    await setStepMs(300);
    const marker = `zombie-${randomUUID()}`;
    const { jobId } = await user.createVideoJob({ prompt: `${marker} a sleeping cat`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    const sampling = await watch.until((job) => job.state === 'running' && job.progress.stage === 'sampling');
    const frozen = stackState().workers.find((w) => w.workerId === sampling.attempt.workerId)!;
    process.kill(frozen.pid!, 'SIGSTOP');
    try {
      await setStepMs(60);
      const done = await watch.until(isTerminalJob, 90_000);
      expect(done.state).toBe('succeeded');
      expect(done.attempts[0]).toMatchObject({ outcome: 'failed', workerId: frozen.workerId, error: { code: 'lease_expired' } });
      process.kill(frozen.pid!, 'SIGCONT');
      // Awake, the old run finds its ComfyUI prompt finished and tries to go on: its lease is gone.
      // Once it has stopped (its worker runs nothing), whatever it wrote or stored is there to see.
      const deadline = Date.now() + 30_000;
      while ((await attemptsRunning(frozen.url)) !== 0) {
        if (Date.now() > deadline) throw new Error(`${frozen.workerId}'s old run still runs 30 s after it woke`);
        await sleep(200);
      }
      watch.stop();
      const after = (await adminDb().doc(`jobs/${jobId}`).get()).data()!;
      expect(after.updatedAt.toMillis()).toBe(done.updatedAt.toMillis());
      expect(await outputsOf(jobId)).toEqual([`attempt-${done.attempts.length - 1}.mp4`]);
    } finally {
      try {
        process.kill(frozen.pid!, 'SIGCONT');
      } catch {
        // already awake or gone
      }
    }
  });
});
