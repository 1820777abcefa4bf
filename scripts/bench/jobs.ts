import { randomUUID } from 'node:crypto';
import type { DocumentData } from 'firebase/firestore';
import { callableCode, isTerminal, watchDoc, type BenchUser, type DocWatch, type SeenSnapshot } from './web-client';

/** A job created through the callable and followed to its end by a snapshot listener. */
export interface JobRun {
  jobId: string;
  /** Client clock around the `createVideoJob` call. */
  callStart: number;
  callEnd: number;
  watch: DocWatch;
  /** The first snapshot the client saw in a terminal state. */
  final: SeenSnapshot;
}

/** An AnimateDiff job on the GPU workers (the bench stack allows no other backend). */
export async function createJob(user: BenchUser, label: string): Promise<{ jobId: string; callStart: number; callEnd: number }> {
  const callStart = Date.now();
  const { jobId } = await user.createVideoJob({ prompt: `vidgen bench: ${label}`, model: 'animatediff', idempotencyKey: `bench-${randomUUID()}` });
  return { jobId, callStart, callEnd: Date.now() };
}

/** Codes after which a repeat of the same call (same idempotency key) is safe and may succeed. */
const TRANSIENT = new Set(['internal', 'aborted', 'unavailable', 'deadline-exceeded']);

/**
 * Creates a job as a careful client does: a transient failure is retried with the same idempotency
 * key, so a call that did create the job returns that job rather than a second one.
 */
export async function createJobPatiently(user: BenchUser, label: string, tries = 4): Promise<{ jobId: string; retries: number }> {
  const idempotencyKey = `bench-${randomUUID()}`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { jobId } = await user.createVideoJob({ prompt: `vidgen bench: ${label}`, model: 'animatediff', idempotencyKey });
      return { jobId, retries: attempt - 1 };
    } catch (error) {
      if (attempt >= tries || !TRANSIENT.has(callableCode(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** Creates a job and waits for its terminal snapshot; a job that does not succeed is an error. */
export async function runJob(user: BenchUser, label: string, timeoutMs: number): Promise<JobRun> {
  const created = await createJob(user, label);
  const watch = watchDoc(user.db, 'jobs', created.jobId);
  try {
    const final = await watch.until(isTerminal, timeoutMs);
    if (final.data.state !== 'succeeded') throw new Error(`job ${created.jobId} ended ${String(final.data.state)}: ${JSON.stringify(final.data.error)}`);
    return { ...created, watch, final };
  } finally {
    watch.stop();
  }
}

/** Follows many jobs at once; resolves with each one's terminal snapshot (or the error that ended the wait). */
export async function awaitAll(user: BenchUser, jobIds: readonly string[], timeoutMs: number, onEnd?: (job: DocumentData) => void): Promise<Array<SeenSnapshot | Error>> {
  return Promise.all(jobIds.map(async (jobId) => {
    const watch = watchDoc(user.db, 'jobs', jobId);
    try {
      const final = await watch.until(isTerminal, timeoutMs);
      onEnd?.(final.data);
      return final;
    } catch (error) {
      return error as Error;
    } finally {
      watch.stop();
    }
  }));
}
