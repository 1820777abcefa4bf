import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { claimAttempt, createJob, expireLease, failPendingAttempt, finishAttempt, type Job, type TransitionResult } from '@vidgen/contract';
import { losingOutputPaths, outputPaths, removeLosingOutputs } from '@vidgen/media';
import { LocalObjectStore } from '../../../storage-sim/src/simulator';
import { tempDir } from './support/media';

const bucket = 'demo-bucket';
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, seconds));

function ok(result: TransitionResult): Job {
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  return result.job;
}

/** A job whose first attempt's worker died (lease expired) and whose second attempt is running. */
function jobAfterOneLostAttempt(): Job {
  let job = createJob({ ownerUid: 'user-1', request: { prompt: 'a lighthouse', model: 'animatediff' }, plan: ['animatediff'], now: at(0) }).job;
  job = ok(claimAttempt(job, { attemptIndex: 0, backend: 'comfyui', workerId: 'w1', leaseToken: 'dead', leaseMs: 6000, now: at(1) }));
  job = ok(expireLease(job, { attemptIndex: 0, now: at(30) }));
  return ok(claimAttempt(job, { attemptIndex: 1, backend: 'comfyui', workerId: 'w2', leaseToken: 'live', leaseMs: 6000, now: at(31) }));
}

describe('removeLosingOutputs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: LocalObjectStore;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('losing-outputs'));
    store = new LocalObjectStore(dir, bucket, 'http://127.0.0.1:9199');
  });
  afterEach(() => cleanup());

  const put = (path: string) => store.put(path, Readable.from([Buffer.from(path)]), { contentType: 'application/octet-stream' });
  const stored = async () => (await readdir(join(dir, bucket, 'videos', 'user-1', 'job-1')).catch(() => [] as string[])).filter((f) => !f.endsWith('.meta.json')).sort();

  async function storeBothAttempts(): Promise<void> {
    for (const index of [0, 1]) for (const path of Object.values(outputPaths('user-1', 'job-1', index))) await put(path);
  }

  it('keeps only the output the succeeded job points to', async () => {
    await storeBothAttempts();
    const running = jobAfterOneLostAttempt();
    const winner = outputPaths('user-1', 'job-1', 1);
    const output = {
      storagePath: winner.video, downloadUrl: 'http://x/v', mimeType: 'video/mp4' as const, width: 512, height: 512, frameCount: 16,
      fps: 8, durationSeconds: 2, sizeBytes: 10, posterPath: winner.poster, posterUrl: 'http://x/p',
    };
    const done = ok(finishAttempt(running, { leaseToken: 'live', result: { outcome: 'succeeded', output, costUsd: 0 }, now: at(40) }));

    await removeLosingOutputs(store, done, 'job-1');
    expect(await stored()).toEqual(['attempt-1.jpg', 'attempt-1.mp4']);
  });

  it('leaves a running attempt\'s files alone while removing the ended ones', async () => {
    await storeBothAttempts();
    await removeLosingOutputs(store, jobAfterOneLostAttempt(), 'job-1');
    expect(await stored()).toEqual(['attempt-1.jpg', 'attempt-1.mp4']);
  });

  it('removes every attempt\'s files when the job failed, and takes files that were never stored in its stride', async () => {
    await put(outputPaths('user-1', 'job-1', 1).video);
    const failed = ok(finishAttempt(jobAfterOneLostAttempt(), {
      leaseToken: 'live',
      result: { outcome: 'failed', error: { code: 'gpu_out_of_memory', message: 'out of memory', retryable: false }, costUsd: 0 },
      now: at(40),
    }));
    expect(failed.state).toBe('failed');
    await removeLosingOutputs(store, failed, 'job-1');
    expect(await stored()).toEqual([]);
  });

  it('has nothing to remove for an attempt that never had a runner', () => {
    const queued = createJob({ ownerUid: 'user-1', request: { prompt: 'a lighthouse', model: 'animatediff' }, plan: ['animatediff'], now: at(0) }).job;
    const noWorker = { code: 'no_worker_available' as const, message: 'no worker had room', retryable: true };
    const failed = ok(failPendingAttempt(queued, { attemptIndex: 0, error: noWorker, now: at(1) }));
    expect(failed.state).toBe('failed');
    expect(failed.attempts.map((a) => a.workerId)).toEqual([null]);
    expect(losingOutputPaths(failed, 'job-1')).toEqual([]);
    expect(losingOutputPaths(jobAfterOneLostAttempt(), 'job-1')).toEqual(Object.values(outputPaths('user-1', 'job-1', 0)));
  });
});
