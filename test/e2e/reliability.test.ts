import { randomUUID } from 'node:crypto';
import { adminDb, deliverRunAttempt } from '../support/admin';
import { setStepMs, simControl } from '../support/comfy-sim';
import { stackState } from '../support/stack-state';
import { offerAttempt } from '../support/worker-intake';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SimHistory { [promptId: string]: { prompt: [number, string, Record<string, { class_type: string; inputs: Record<string, unknown> }>]; status?: { status_str?: string; messages?: Array<[string, unknown]> } } }

/** Prompts across all simulators whose positive prompt text contains `marker`. */
async function promptsMentioning(marker: string): Promise<Array<{ promptId: string; status: string | undefined; messages: string[] }>> {
  const histories = (await simControl('/sim/history')) as SimHistory[];
  return histories.flatMap((history) =>
    Object.entries(history)
      .filter(([, entry]) => Object.values(entry.prompt[2]).some((node) => node.class_type === 'CLIPTextEncode' && String(node.inputs.text).includes(marker)))
      .map(([promptId, entry]) => ({ promptId, status: entry.status?.status_str, messages: (entry.status?.messages ?? []).map(([type]) => type) })),
  );
}

describe('reliability of the spine', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
    await simControl('/sim/faults', undefined, 'DELETE');
  });
  afterEach(async () => {
    await simControl('/sim/faults', undefined, 'DELETE');
    await setStepMs(60);
  });
  afterAll(() => user.close());

  it('runs an attempt once when its task is delivered twice', async () => {
    await setStepMs(150);
    const marker = `dup-${randomUUID()}`;
    const { jobId } = await user.createVideoJob({ prompt: `a lighthouse ${marker}`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    await watch.until((job) => job.state === 'running');

    // A second delivery through Cloud Tasks (a new task name, as a redelivery after a lost ack would be)...
    await deliverRunAttempt(jobId, 0, `${jobId}-duplicate`);
    // ...and the same offer straight to each worker, twice at once.
    const offers = await Promise.all(stackState().workers.flatMap((w) => [offerAttempt(w.url, { jobId, attemptIndex: 0, tier: 'animatediff' }), offerAttempt(w.url, { jobId, attemptIndex: 0, tier: 'animatediff' })]));
    // Each is refused: 409 where the lease is checked, or 429 where the offers raced for the last slot.
    for (const offer of offers) {
      expect([409, 429]).toContain(offer.status);
      if (offer.status === 409) expect(offer.body).toMatchObject({ status: 'already_claimed' });
    }
    expect(offers.some((o) => o.status === 409)).toBe(true);

    const done = await watch.until(isTerminalJob);
    watch.stop();
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect(await promptsMentioning(marker)).toHaveLength(1);
  });

  it('hands a dead worker\'s attempt to a live one once its lease runs out', async () => {
    await setStepMs(400);
    const marker = `kill-${randomUUID()}`;
    const { jobId } = await user.createVideoJob({ prompt: `a windmill ${marker}`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    const sampling = await watch.until((job) => job.state === 'running' && job.progress.stage === 'sampling');
    const victim = stackState().workers.find((w) => w.workerId === sampling.attempt.workerId)!;
    process.kill(victim.pid!, 'SIGKILL');
    await setStepMs(60);

    const done = await watch.until(isTerminalJob, 90_000);
    watch.stop();
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(2);
    expect(done.attempts[0]).toMatchObject({ outcome: 'failed', workerId: victim.workerId, error: { code: 'lease_expired', retryable: true } });
    expect(done.attempts[1]).toMatchObject({ outcome: 'succeeded', tier: 'animatediff' });
    expect(done.output.storagePath).toBe(`videos/${user.uid}/${jobId}/attempt-1.mp4`);

    // The job is never written after it ended, whatever the dead worker's ComfyUI still does.
    const endedAt = done.updatedAt.toMillis();
    await sleep(2000);
    const latest = (await adminDb().doc(`jobs/${jobId}`).get()).get('updatedAt').toMillis();
    expect(latest).toBe(endedAt);
  });

  it('fails an attempt with a stable code when ComfyUI runs out of GPU memory', async () => {
    const marker = `oom-${randomUUID()}`;
    await simControl('/sim/faults', { kind: 'oom', promptContains: marker, atStep: 3 });
    const { jobId } = await user.createVideoJob({ prompt: `a cathedral ${marker}`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    const done = await watch.until(isTerminalJob);
    watch.stop();
    expect(done.state).toBe('failed');
    expect(done.error).toMatchObject({ code: 'gpu_out_of_memory', retryable: false });
    expect(done.error.message).toMatch(/out of memory/i);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ outcome: 'failed', error: { code: 'gpu_out_of_memory' } });
    expect(done.output).toBeNull();
  });

  it('cancels a queued job at once', async () => {
    const { jobId } = await user.createVideoJob({ prompt: 'a quiet harbour', model: 'animatediff' });
    const { state } = await user.cancelVideoJob(jobId);
    expect(state).toBe('cancelled');
    const watch = watchJob(user, jobId);
    const job = await watch.until(isTerminalJob);
    await sleep(1500);
    watch.stop();
    expect(job.state).toBe('cancelled');
    expect(watch.snapshots.at(-1)!.state).toBe('cancelled');
    expect(watch.snapshots.at(-1)!.output).toBeNull();
  });

  it('stops a running job: ComfyUI is interrupted and the worker writes nothing afterwards', async () => {
    await setStepMs(300);
    const marker = `cancel-${randomUUID()}`;
    const { jobId } = await user.createVideoJob({ prompt: `a snowy forest ${marker}`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    await watch.until((job) => job.state === 'running' && job.progress.stage === 'sampling' && job.progress.step >= 2);
    expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
    const cancelled = await watch.until((job) => job.state === 'cancelled');
    expect(cancelled.attempts.at(-1)).toMatchObject({ outcome: 'cancelled' });

    let prompts: Awaited<ReturnType<typeof promptsMentioning>> = [];
    for (let i = 0; i < 20 && prompts[0]?.status !== 'error'; i += 1) {
      await sleep(250);
      prompts = await promptsMentioning(marker);
    }
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.messages).toContain('execution_interrupted');
    await sleep(1500);
    watch.stop();
    const after = (await adminDb().doc(`jobs/${jobId}`).get()).data()!;
    expect(after.state).toBe('cancelled');
    expect(after.updatedAt.toMillis()).toBe(cancelled.updatedAt.toMillis());
  });

  it("denies reading another user's job", async () => {
    const { jobId } = await user.createVideoJob({ prompt: 'a red kite', model: 'animatediff' });
    const stranger = await signedInUser();
    const watch = watchJob(stranger, jobId);
    await expect(watch.until(() => true, 5000)).rejects.toMatchObject({ code: 'permission-denied' });
    watch.stop();
    await expect(stranger.cancelVideoJob(jobId)).rejects.toMatchObject({ code: 'functions/permission-denied' });
    await stranger.close();
    await user.cancelVideoJob(jobId);
  });
});
