import { logger } from 'firebase-functions';
import { HttpsError } from 'firebase-functions/v2/https';
import {
  chooseBackend,
  failPendingAttempt,
  isTerminal,
  JobError,
  RunAttemptTaskSchema,
  type Attempt,
  type BackendPolicy,
} from '@vidgen/contract';
import type { ReplicateProvider } from '../providers/replicate';
import type { VeoProvider } from '../providers/veo';
import type { Services } from '../services';
import { followUp } from './follow-up';
import { runHosted } from './hosted-runner';
import { offerToWorkers, workersWithRoom } from './worker-pool';

export interface RunAttemptOptions {
  workerSecret: string;
  workerWaitMs: number;
  workerRequestTimeoutMs: number;
  policy: BackendPolicy;
  /** Null when no Gemini API key is configured. */
  veo: VeoProvider | null;
  /** Null when no Replicate token is configured. */
  replicate: ReplicateProvider | null;
}

/**
 * Handles one `runAttempt` task: picks the backend for the current attempt by the backend policy and
 * runs it (Veo and Replicate here, under a lease) or hands it to a GPU worker. Returns normally for
 * anything permanent (stale task, job gone, attempt failed over) and throws only to ask Cloud Tasks
 * for a retry with backoff (every worker full, for now).
 */
export async function runAttempt(data: unknown, services: Services, options: RunAttemptOptions): Promise<void> {
  const parsed = RunAttemptTaskSchema.safeParse(data);
  if (!parsed.success) {
    logger.error('Dropping a malformed runAttempt task', { data });
    return;
  }
  const { jobId, attemptIndex } = parsed.data;
  const job = await services.jobs.get(jobId);
  const attempt = job?.attempt;
  if (!job || isTerminal(job.state) || !attempt || attempt.index !== attemptIndex) {
    logger.info('Nothing to do for this task', { jobId, attemptIndex, state: job?.state, current: attempt?.index });
    return;
  }
  if (attempt.state === 'running') {
    // A live lease means this is a duplicate delivery; an expired one is re-attached by a hosted runner.
    if (attempt.backend !== 'comfyui' && attempt.leaseExpiresAt && attempt.leaseExpiresAt <= new Date()) {
      const provider = attempt.backend === 'gemini' ? options.veo : options.replicate;
      if (provider) return runHosted(services, jobId, attemptIndex, attempt.backend, provider);
    }
    logger.info('Attempt already running; duplicate delivery ignored', { jobId, attemptIndex });
    return;
  }

  const ranked = attempt.tier === 'veo' ? [] : await workersWithRoom(services.db, attempt.tier);
  const replicateReady = Boolean(options.replicate?.supports(attempt.tier)) && (attempt.tier !== 'svd' || Boolean(job.request.referenceImagePath));
  const choice = chooseBackend(attempt.tier, {
    policy: options.policy,
    workerWithRoom: ranked.length > 0,
    replicateReady,
    geminiReady: options.veo !== null,
  });

  if (choice.kind === 'unavailable') return failOver(services, jobId, attempt, new JobError('tier_unavailable', choice.reason));
  if (choice.kind === 'run' && choice.backend === 'gemini') return runHosted(services, jobId, attemptIndex, 'gemini', options.veo!);
  if (choice.kind === 'run' && choice.backend === 'replicate') return runHosted(services, jobId, attemptIndex, 'replicate', options.replicate!);
  if (choice.kind === 'run') {
    const outcome = await offerToWorkers(ranked, { jobId, attemptIndex, tier: attempt.tier }, { secret: options.workerSecret, timeoutMs: options.workerRequestTimeoutMs });
    if (outcome.kind === 'taken') {
      logger.info('Worker took the attempt', { jobId, attemptIndex, workerId: outcome.workerId, status: outcome.response.status });
      return;
    }
    if (options.policy === 'prefer-comfyui' && replicateReady) return runHosted(services, jobId, attemptIndex, 'replicate', options.replicate!);
  }
  return waitForWorker(services, jobId, attempt, options);
}

/** Every worker is busy: ask Cloud Tasks to try again later, until the wait bound, then fail over. */
async function waitForWorker(services: Services, jobId: string, attempt: Attempt, options: RunAttemptOptions): Promise<void> {
  const waitedMs = Date.now() - attempt.createdAt.getTime();
  if (waitedMs >= options.workerWaitMs) {
    const seconds = Math.round(waitedMs / 1000);
    return failOver(services, jobId, attempt, new JobError('no_worker_available', `No GPU worker had room for ${seconds} s.`));
  }
  // Thrown so that Cloud Tasks retries with the queue's backoff.
  throw new HttpsError('resource-exhausted', 'No GPU worker has room yet; retrying.');
}

async function failOver(services: Services, jobId: string, attempt: Attempt, error: JobError): Promise<void> {
  const result = await services.jobs.transition(jobId, (job, now) =>
    failPendingAttempt(job, { attemptIndex: attempt.index, error: error.toData(), now }),
  );
  logger.info('Attempt could not be placed', { jobId, attemptIndex: attempt.index, code: error.code, applied: result.ok });
  await followUp(services, jobId, result);
}
