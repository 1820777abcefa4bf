import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from 'firebase-functions';
import {
  claimAttempt,
  finishAttempt,
  JobError,
  recordProviderJob,
  reportProgress,
  resolveTierParams,
  type AttemptResult,
  type Backend,
  type Job,
  type Output,
} from '@vidgen/contract';
import { LeaseKeeper, ProgressReporter, watchLease } from '@vidgen/contract/admin';
import { encodeForWeb, outputPaths, publishOutput, readSmallObject } from '@vidgen/media';
import type { HostedProvider } from '../providers/hosted-provider';
import { getOutputServices, type Services } from '../services';
import { followUp } from './follow-up';

const LEASE_MS = 60_000;
const REFERENCE_IMAGE_MAX_BYTES = 10 * 1024 * 1024;

class Stopped extends Error {
  constructor(readonly why: 'cancelled' | 'lease_lost') {
    super(why);
  }
}

/**
 * Runs an attempt on a hosted provider inside this task invocation, holding a lease like a GPU
 * worker does: claimed in a transaction, renewed while the provider works, every write fenced.
 * A redelivered task finds the lease live and does nothing; after the lease ran out it re-attaches
 * to the provider's saved job id.
 */
export async function runHosted(services: Services, jobId: string, attemptIndex: number, backend: Backend, provider: HostedProvider): Promise<void> {
  const runnerId = `functions:${backend}`;
  const leaseToken = `${runnerId}:${crypto.randomUUID()}`;
  const claimed = await services.jobs.transition(jobId, (job, now) =>
    claimAttempt(job, { attemptIndex, backend, workerId: runnerId, leaseToken, leaseMs: LEASE_MS, now }),
  );
  if (!claimed.ok) {
    logger.info('Attempt not claimed', { jobId, attemptIndex, refusal: claimed.refusal });
    return;
  }
  const job = claimed.job;
  const attempt = job.attempt!;
  const log = (message: string, fields: Record<string, unknown> = {}) => logger.info(message, { jobId, attemptIndex, backend, ...fields });
  const controller = new AbortController();
  const keeper = new LeaseKeeper(services.jobs, jobId, leaseToken, LEASE_MS);
  keeper.on('lost', () => controller.abort(new Stopped('lease_lost')));
  keeper.on('renewalFailed', (error) => logger.warn('Lease renewal failed', { jobId, error: error.message }));
  const unwatch = watchLease(services.jobs, jobId, leaseToken, (end) => controller.abort(new Stopped(end)));
  const reporter = new ProgressReporter(async (progress) => {
    await services.jobs.transition(jobId, (current, now) => reportProgress(current, { leaseToken, progress, now }));
  }, 1000);
  const outputs = await getOutputServices();
  const workDir = await mkdtemp(join(outputs.workDir, `${jobId}-`));
  keeper.start();
  const started = Date.now();

  let result: AttemptResult;
  try {
    const produced = await provider.run({
      jobId,
      attempt,
      request: job.request,
      params: resolveTierParams(attempt.tier, job.request),
      signal: controller.signal,
      workDir,
      progress: (update) => reporter.update(update),
      saveProviderJobId: async (id) => {
        const saved = await services.jobs.transition(jobId, (current, now) => recordProviderJob(current, { leaseToken, providerJobId: id, now }));
        if (!saved.ok) throw new Stopped('lease_lost');
      },
      referenceImage: async () => {
        const path = job.request.referenceImagePath;
        if (!path) return null;
        try {
          const image = await readSmallObject(outputs.store, path, REFERENCE_IMAGE_MAX_BYTES);
          return { bytes: image.bytes, mimeType: image.contentType };
        } catch (error) {
          throw new JobError('reference_image_missing', `The reference image ${path} could not be read: ${(error as Error).message}`);
        }
      },
    });
    reporter.update({ stage: 'encoding', step: null, totalSteps: null, percent: 90, etaSeconds: null });
    const output = await store(jobId, job, attemptIndex, produced.videoFile, produced.trimToSeconds, workDir, keeper, controller.signal);
    result = { outcome: 'succeeded', output, costUsd: produced.costUsd };
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof Stopped || error instanceof Stopped) {
      log('Hosted run stopped; it writes nothing more', { why: (reason ?? error as Stopped).why });
      return;
    }
    const failure = JobError.from(error);
    log('Hosted attempt failed', { code: failure.code, error: failure.message });
    result = { outcome: 'failed', error: failure.toData(), costUsd: 0 };
  } finally {
    keeper.stop();
    unwatch();
    await reporter.stop();
    await rm(workDir, { recursive: true, force: true });
  }

  const finished = await services.jobs.transition(jobId, (current, now) => finishAttempt(current, { leaseToken, result, now }));
  log('Hosted attempt finished', { outcome: result.outcome, applied: finished.ok, seconds: Math.round((Date.now() - started) / 1000) });
  await followUp(services, jobId, finished);
}

/** Encodes (trimming chained extensions to the length asked for) and publishes the video, if the lease still holds. */
async function store(jobId: string, job: Job, attemptIndex: number, videoFile: string, trimToSeconds: number | undefined, workDir: string, keeper: LeaseKeeper, signal: AbortSignal): Promise<Output> {
  const { store: objects, tools } = await getOutputServices();
  const encoded = await encodeForWeb(tools, videoFile, { video: join(workDir, 'video.mp4'), poster: join(workDir, 'poster.jpg') }, signal, { maxSeconds: trimToSeconds });
  if (!(await keeper.renew()) || signal.aborted) throw signal.reason ?? new Stopped('lease_lost');
  return publishOutput(objects, encoded, outputPaths(job.ownerUid, jobId, attemptIndex));
}
