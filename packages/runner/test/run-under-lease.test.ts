import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { claimAttempt, createJob, expireLease, cancelJob, finishAttempt, JobError, type ClaimedJob, type CreateVideoJobRequest, type Tier } from '@vidgen/contract';
import { JobRepository, type RepositoryResult } from '@vidgen/contract/admin';
import { resolveTools } from '@vidgen/media';
import { claimLease, followUp, RunStopped, runUnderLease, type LeasedRun, type Produced, type RunContext } from '@vidgen/runner';
import { MemoryStore } from '../../../test/support/memory-store';
import { TaskQueueFake } from '../../../test/support/task-queue';
import { unitFirestore, type UnitFirestore } from '../../../test/support/unit-firestore';

jest.setTimeout(20_000);

const LEASE_MS = 4000;
const tools = resolveTools({});

/**
 * runUnderLease against the Firestore emulator, with real ffmpeg: what a run writes, and what it
 * leaves, when it succeeds, is cancelled, loses its lease, fails to encode, is shut down, or ends a
 * job that other attempts left files for.
 */
describe('runUnderLease', () => {
  let firestore: UnitFirestore;
  let jobs: JobRepository;
  let root: string;
  let source: string;

  beforeAll(async () => {
    firestore = unitFirestore('runner');
    jobs = new JobRepository(firestore.db);
    root = await mkdtemp(join(tmpdir(), 'leased-run-'));
    source = join(root, 'source.mp4');
    await promisify(execFile)(tools.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=128x96:rate=8', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', source]);
  });
  afterAll(async () => {
    await firestore.close();
    await rm(root, { recursive: true, force: true });
  });

  /** A job in Firestore whose current attempt `token` has claimed. */
  async function claimedJob(options: { plan?: Tier[]; request?: Partial<CreateVideoJobRequest>; ownerUid?: string } = {}) {
    const plan = options.plan ?? ['animatediff', 'svd'];
    const ownerUid = options.ownerUid ?? `owner-${randomUUID()}`;
    const request: CreateVideoJobRequest = { prompt: 'a heron in fog', model: 'animatediff', ...options.request };
    const jobId = `job-${randomUUID()}`;
    await jobs.ref(jobId).set(createJob({ ownerUid, request, plan, now: new Date() }).job);
    return { jobId, ownerUid, ...(await claim(jobId)) };
  }

  async function claim(jobId: string, workerId = 'worker-a'): Promise<{ job: ClaimedJob; leaseToken: string }> {
    const current = await jobs.get(jobId);
    const claimed = await claimLease(jobs, jobId, { attemptIndex: current!.attempt!.index, backend: 'comfyui', runnerId: workerId, leaseMs: LEASE_MS });
    if (!claimed.ok) throw new Error(`claim refused: ${claimed.refusal}`);
    return { job: claimed.job, leaseToken: claimed.leaseToken };
  }

  function leasedRun(jobId: string, job: ClaimedJob, leaseToken: string, store: MemoryStore, extra: Partial<LeasedRun> = {}) {
    const warnings: string[] = [];
    const run: LeasedRun = {
      jobs,
      jobId,
      job,
      leaseToken,
      leaseMs: LEASE_MS,
      progressIntervalMs: 50,
      store,
      tools,
      workRoot: root,
      log: { info: () => undefined, warn: (message) => void warnings.push(message) },
      ...extra,
    };
    return { run, warnings };
  }

  /** A backend that hands back a real H.264 clip from its work folder. */
  const makesVideo = async (context: RunContext): Promise<Produced> => {
    const videoFile = join(context.workDir, 'made.mp4');
    await copyFile(source, videoFile);
    return { videoFile, costUsd: 0.05 };
  };

  /** A backend that works until it is told to stop, and rejects with why. */
  function untilStopped(started: () => void) {
    const seen: { workDir?: string; reason?: unknown } = {};
    const produce = (context: RunContext): Promise<Produced> => {
      seen.workDir = context.workDir;
      const stopped = new Promise<never>((_, reject) => {
        const stop = () => {
          seen.reason = context.signal.reason;
          reject(context.signal.reason as Error);
        };
        if (context.signal.aborted) stop();
        else context.signal.addEventListener('abort', stop, { once: true });
      });
      started();
      return stopped;
    };
    return { produce, seen };
  }

  const exists = (path: string) => access(path).then(() => true, () => false);
  const leftInRoot = async (jobId: string) => (await readdir(root)).filter((name) => name.startsWith(jobId));

  it('stores the video and its poster, finishes the attempt, and removes its work folder', async () => {
    const { jobId, ownerUid, job, leaseToken } = await claimedJob();
    const store = new MemoryStore();
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, store).run, makesVideo);

    expect(end).toMatchObject({ kind: 'finished', result: { outcome: 'succeeded', costUsd: 0.05 }, finished: { ok: true } });
    expect(store.paths()).toEqual([`videos/${ownerUid}/${jobId}/attempt-0.jpg`, `videos/${ownerUid}/${jobId}/attempt-0.mp4`]);
    const stored = await jobs.get(jobId);
    expect(stored).toMatchObject({ state: 'succeeded', costUsd: 0.05, output: { storagePath: `videos/${ownerUid}/${jobId}/attempt-0.mp4`, width: 128, height: 96 } });
    expect(await leftInRoot(jobId)).toEqual([]);
  });

  it('stops at once when the job is cancelled, and writes nothing after the cancel', async () => {
    const { jobId, job, leaseToken } = await claimedJob();
    const store = new MemoryStore();
    let cancel: Promise<RepositoryResult> | null = null;
    const { produce, seen } = untilStopped(() => {
      cancel = jobs.transition(jobId, (current, now) => cancelJob(current, { now }));
    });
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, store).run, produce);

    expect(end).toEqual({ kind: 'stopped', reason: 'cancelled' });
    expect(seen.reason).toBeInstanceOf(RunStopped);
    const cancelled = await cancel!;
    expect(cancelled).toMatchObject({ ok: true, job: { state: 'cancelled' } });
    // The document is exactly as the cancel left it: no progress, cost or end written after.
    expect(await jobs.get(jobId)).toEqual(cancelled.ok ? cancelled.job : null);
    expect(store.paths()).toEqual([]);
    expect(await exists(seen.workDir!)).toBe(false);
  });

  it('stops when another runner took the attempt over, and leaves the attempt to it', async () => {
    const { jobId, job, leaseToken } = await claimedJob();
    const store = new MemoryStore();
    const otherToken = `worker-b:${randomUUID()}`;
    const { produce } = untilStopped(() => {
      // The lease ran out (this runner froze) and another runner claimed the attempt.
      void jobs.transition(jobId, (current, now) =>
        claimAttempt(current, { attemptIndex: 0, backend: 'comfyui', workerId: 'worker-b', leaseToken: otherToken, leaseMs: LEASE_MS, now: new Date(now.getTime() + LEASE_MS + 1) }),
      );
    });
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, store).run, produce);

    expect(end).toEqual({ kind: 'stopped', reason: 'lease_lost' });
    const stored = await jobs.get(jobId);
    expect(stored).toMatchObject({ state: 'running', attempts: [], attempt: { index: 0, state: 'running', leaseToken: otherToken, workerId: 'worker-b' } });
    expect(store.paths()).toEqual([]);
  });

  it('a save of the backend\'s id that a cancel beat stops the run, so the backend cancels its work, and keeps the id beside the attempt to charge it', async () => {
    const jobId = `job-${randomUUID()}`;
    await jobs.ref(jobId).set(createJob({ ownerUid: 'owner-stray', request: { prompt: 'a heron in fog', model: 'animatediff' }, plan: ['animatediff'], now: new Date() }).job);
    const claimed = await claimLease(jobs, jobId, { attemptIndex: 0, backend: 'replicate', runnerId: 'runner-a', leaseMs: LEASE_MS });
    if (!claimed.ok) throw new Error(`claim refused: ${claimed.refusal}`);
    const seen: { error?: unknown; abortedBySave?: boolean; reason?: unknown } = {};
    const { run, warnings } = leasedRun(jobId, claimed.job, claimed.leaseToken, new MemoryStore());
    const end = await runUnderLease(run, async (context) => {
      // The work was created; the job is cancelled before its id is saved.
      expect((await jobs.transition(jobId, (current, now) => cancelJob(current, { now }))).ok).toBe(true);
      seen.error = await context.saveProviderJobId('prediction-1').catch((error: unknown) => error);
      seen.abortedBySave = context.signal.aborted;
      seen.reason = context.signal.reason;
      throw seen.error;
    });

    expect(end).toEqual({ kind: 'stopped', reason: 'cancelled' });
    expect(seen.error).toBeInstanceOf(RunStopped);
    expect(seen.abortedBySave).toBe(true);
    expect(seen.reason).toBeInstanceOf(RunStopped);
    const stored = await jobs.get(jobId);
    expect(stored).toMatchObject({ state: 'cancelled', costPending: true, costUsd: 0 });
    expect(stored?.attempts).toEqual([
      expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: null, costKnown: true }),
      expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: 'prediction-1', workerId: 'runner-a', costKnown: false }),
    ]);
    expect(warnings).toContain('Work started for an attempt this run no longer holds was recorded beside it');
  });

  it('fails the attempt with encode_failed when the backend\'s file is no video, and the job goes on to a new attempt', async () => {
    const { jobId, job, leaseToken } = await claimedJob();
    const store = new MemoryStore();
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, store).run, async (context) => {
      const videoFile = join(context.workDir, 'broken.mp4');
      await writeFile(videoFile, 'not a video at all');
      return { videoFile };
    });

    expect(end).toMatchObject({ kind: 'finished', result: { outcome: 'failed', error: { code: 'encode_failed' } }, finished: { ok: true, next: { kind: 'dispatch', attemptIndex: 1 } } });
    const stored = await jobs.get(jobId);
    expect(stored?.attempts).toEqual([expect.objectContaining({ index: 0, outcome: 'failed', error: expect.objectContaining({ code: 'encode_failed' }) })]);
    expect(stored?.attempt).toMatchObject({ index: 1, state: 'pending' });
    expect(store.paths()).toEqual([]);
    expect(await leftInRoot(jobId)).toEqual([]);
  });

  it('records what a failed backend reported it spent, with the backend\'s own error', async () => {
    const { jobId, job, leaseToken } = await claimedJob({ plan: ['animatediff'] });
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, new MemoryStore()).run, async (context) => {
      await context.recordCost(0.12);
      throw new JobError('safety_filtered', 'filtered');
    });
    expect(end).toMatchObject({ kind: 'finished', result: { outcome: 'failed', costUsd: 0.12, error: { code: 'safety_filtered' } } });
    expect(await jobs.get(jobId)).toMatchObject({ state: 'failed', costUsd: 0.12, error: { code: 'safety_filtered' } });
  });

  it('hands the attempt back as worker_shutdown when its owner shuts down', async () => {
    const { jobId, job, leaseToken } = await claimedJob();
    const controller = new AbortController();
    const { produce } = untilStopped(() => controller.abort(new RunStopped('shutdown')));
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, new MemoryStore(), { controller }).run, produce);

    expect(end).toMatchObject({ kind: 'finished', result: { outcome: 'failed', error: { code: 'worker_shutdown' } }, finished: { ok: true } });
    // A shutdown is no fault of the tier: the same tier is tried again.
    expect((await jobs.get(jobId))?.attempt).toMatchObject({ index: 1, tier: 'animatediff', state: 'pending' });
  });

  it('once the job ends, followUp removes what earlier attempts stored and the job\'s reference upload, and keeps the winner', async () => {
    const ownerUid = `owner-${randomUUID()}`;
    const reference = `uploads/${ownerUid}/ref.png`;
    const { jobId, job: first, leaseToken: firstToken } = await claimedJob({ ownerUid, plan: ['svd'], request: { model: 'svd', referenceImagePath: reference } });
    const store = new MemoryStore();
    await store.put(reference, Readable.from([Buffer.from('png')]), { contentType: 'image/png' });
    // The first attempt stored its files late, after it had already failed.
    await store.put(`videos/${ownerUid}/${jobId}/attempt-0.mp4`, Readable.from([Buffer.from('late')]), { contentType: 'video/mp4' });
    await store.put(`videos/${ownerUid}/${jobId}/attempt-0.jpg`, Readable.from([Buffer.from('late')]), { contentType: 'image/jpeg' });
    const failed = await jobs.transition(jobId, (current, now) =>
      finishAttempt(current, { leaseToken: firstToken, result: { outcome: 'failed', error: new JobError('comfyui_execution_failed').toData(), costUsd: 0 }, now }),
    );
    expect(failed).toMatchObject({ ok: true, job: { attempt: { index: 1 } } });
    expect(first.attempt?.index).toBe(0);

    const { job, leaseToken } = await claim(jobId, 'worker-b');
    const end = await runUnderLease(leasedRun(jobId, job, leaseToken, store).run, makesVideo);
    expect(end).toMatchObject({ kind: 'finished', result: { outcome: 'succeeded' } });
    // What every writer of a transition does next: the job has ended, so nothing is handed on and the losers' files go.
    const queue = new TaskQueueFake();
    const log = { info: () => undefined, warn: () => undefined };
    if (end.kind !== 'finished') throw new Error(`the run ended ${end.kind}`);
    expect(await followUp({ jobs, taskQueues: queue.functions, store: () => Promise.resolve(store), log }, jobId, end.finished)).toBeNull();
    expect(queue.tasks).toEqual([]);
    expect(store.paths()).toEqual([`videos/${ownerUid}/${jobId}/attempt-1.jpg`, `videos/${ownerUid}/${jobId}/attempt-1.mp4`]);
    expect(store.removed).toEqual(expect.arrayContaining([reference, `videos/${ownerUid}/${jobId}/attempt-0.mp4`]));
  });

  it('keeps a reference upload that another unfinished job of its owner still names', async () => {
    const ownerUid = `owner-${randomUUID()}`;
    const reference = `uploads/${ownerUid}/shared.png`;
    const request = { model: 'svd' as const, referenceImagePath: reference };
    const { jobId, job, leaseToken } = await claimedJob({ ownerUid, plan: ['svd'], request });
    await claimedJob({ ownerUid, plan: ['svd'], request });
    const store = new MemoryStore();
    await store.put(reference, Readable.from([Buffer.from('png')]), { contentType: 'image/png' });
    await runUnderLease(leasedRun(jobId, job, leaseToken, store).run, makesVideo);
    expect(store.paths()).toContain(reference);
  });

  it('a run that lost its lease right after storing discards its result and removes its own files', async () => {
    const { jobId, ownerUid, job, leaseToken } = await claimedJob();
    const store = new MemoryStore();
    let stolen = false;
    store.afterPut = async () => {
      if (stolen) return;
      stolen = true;
      // The watchdog found the lease run out (this runner froze mid-upload) and handed the attempt back.
      const expired = await jobs.transition(jobId, (current, now) => expireLease(current, { attemptIndex: 0, now: new Date(now.getTime() + 2 * LEASE_MS) }));
      expect(expired.ok).toBe(true);
    };
    const { run, warnings } = leasedRun(jobId, job, leaseToken, store);
    const end = await runUnderLease(run, makesVideo);

    expect(end).toMatchObject({ kind: 'finished', result: { outcome: 'succeeded' }, finished: { ok: false, refusal: 'lease_lost' } });
    expect(warnings).toContain('The attempt ended after losing its lease; its result was discarded');
    expect(store.paths()).toEqual([]);
    expect(store.removed).toEqual(expect.arrayContaining([`videos/${ownerUid}/${jobId}/attempt-0.mp4`, `videos/${ownerUid}/${jobId}/attempt-0.jpg`]));
    expect(await jobs.get(jobId)).toMatchObject({ state: 'queued', output: null, attempt: { index: 1, state: 'pending' } });
  });
});
