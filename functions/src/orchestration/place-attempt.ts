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
  type Job,
  type WorkerRecord,
} from '@vidgen/contract';
import { followUp } from '@vidgen/runner';
import type { ReplicateProvider } from '../providers/replicate';
import type { VeoProvider } from '../providers/veo';
import { cloudLog } from '../cloud-log';
import { followUpServices, type Services } from '../services';
import { runOnProvider } from './run-on-provider';
import { liveWorkers, offerToWorkers } from './worker-pool';

export interface PlaceAttemptOptions {
  workerSecret: string;
  workerWaitMs: number;
  workerRequestTimeoutMs: number;
  /** The lease of an attempt run on Veo or Replicate; runOnProvider's default (60 s) unless set. */
  providerLeaseMs?: number;
  policy: BackendPolicy;
  /** Null when no Gemini API key is configured. */
  veo: VeoProvider | null;
  /** Null when no Replicate token is configured. */
  replicate: ReplicateProvider | null;
  /** How long a first attempt's task waits for its job to be committed; {@link NEW_JOB_WAIT_MS} unless set (tests). */
  newJobWaitMs?: number;
}

/**
 * createVideoJob hands a job's first attempt to the queue while it commits the job, so that task can
 * arrive before its job does. It reads again for this long before taking the job for one that was
 * never created (a creation refused after the hand-off); a job committed later still is not lost:
 * its attempt stays pending for a pulling worker or the watchdog's re-dispatch.
 */
export const NEW_JOB_WAIT_MS = 10_000;

/** The job, read again with growing pauses while it does not exist yet and it may still be committed. */
async function jobOnceCommitted(services: Services, jobId: string, attemptIndex: number, waitMs: number): Promise<Job | null> {
  const deadline = Date.now() + (attemptIndex === 0 ? waitMs : 0);
  let job = await services.jobs.get(jobId);
  for (let pauseMs = 50; !job && Date.now() < deadline; pauseMs = Math.min(pauseMs * 2, 1000)) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(pauseMs, deadline - Date.now())));
    job = await services.jobs.get(jobId);
  }
  return job;
}

/**
 * Handles one `runAttempt` task: picks the backend for the current attempt by the backend policy and
 * places it there: runs it on a hosted provider (Veo, Replicate) in this invocation, under a lease,
 * or offers it to a GPU worker. Returns normally for anything permanent (stale task, job gone,
 * attempt failed over) and throws only to ask Cloud Tasks for a retry with backoff (every worker full).
 */
export async function placeAttempt(data: unknown, services: Services, options: PlaceAttemptOptions): Promise<void> {
  const parsed = RunAttemptTaskSchema.safeParse(data);
  if (!parsed.success) {
    logger.error('Dropping a malformed runAttempt task', { data });
    return;
  }
  const { jobId, attemptIndex } = parsed.data;
  const job = await jobOnceCommitted(services, jobId, attemptIndex, options.newJobWaitMs ?? NEW_JOB_WAIT_MS);
  const attempt = job?.attempt;
  if (!job || isTerminal(job.state) || !attempt || attempt.index !== attemptIndex) {
    logger.info('Nothing to do for this task', { jobId, attemptIndex, state: job?.state, current: attempt?.index });
    return;
  }
  if (attempt.state === 'running') {
    // A live lease means this is a duplicate delivery; an expired one is re-attached by a hosted runner.
    if (attempt.backend !== 'comfyui' && attempt.leaseExpiresAt && attempt.leaseExpiresAt <= new Date()) {
      const provider = attempt.backend === 'gemini' ? options.veo : options.replicate;
      if (provider) return runOnProvider(services, jobId, attemptIndex, attempt.backend, provider, options.providerLeaseMs);
    }
    logger.info('Attempt already running; duplicate delivery ignored', { jobId, attemptIndex });
    return;
  }

  const live = attempt.tier === 'veo' ? [] : await liveWorkers(services.db, attempt.tier);
  const ranked = live.filter((worker) => worker.running < worker.capacity);
  const replicateRefusal = options.replicate ? options.replicate.refusal(attempt.tier, job.request) : 'No Replicate API token is configured.';
  /** Replicate, when it can run this attempt. */
  const replicate = replicateRefusal === null ? options.replicate : null;
  const choice = chooseBackend(attempt.tier, {
    policy: options.policy,
    workerWithRoom: ranked.length > 0,
    replicateReady: replicate !== null,
    ...(replicateRefusal !== null ? { replicateRefusal } : {}),
    geminiReady: options.veo !== null,
  });

  if (choice.kind === 'unavailable') return failOver(services, jobId, attempt, new JobError('tier_unavailable', choice.reason));
  if (choice.kind === 'run' && choice.backend !== 'comfyui') {
    const provider = choice.backend === 'gemini' ? options.veo : replicate;
    if (!provider) throw new Error(`The backend choice named ${choice.backend}, which is not configured here`);
    return runOnProvider(services, jobId, attemptIndex, choice.backend, provider, options.providerLeaseMs);
  }
  const tried: string[] = [];
  if (choice.kind === 'run') {
    const outcome = await offerToWorkers(ranked, { jobId, attemptIndex, tier: attempt.tier }, { secret: options.workerSecret, timeoutMs: options.workerRequestTimeoutMs });
    if (outcome.kind === 'taken') {
      logger.info('Worker took the attempt', { jobId, attemptIndex, workerId: outcome.workerId, status: outcome.response.status });
      return;
    }
    tried.push(...outcome.tried);
    if (options.policy === 'prefer-comfyui' && replicate) return runOnProvider(services, jobId, attemptIndex, 'replicate', replicate, options.providerLeaseMs);
  }
  return waitForWorker(services, jobId, attempt, options, { live, tried });
}

/**
 * Every worker is busy. Workers that pull their backlog claim the oldest pending attempt themselves
 * the moment a slot frees, so with one of them live the attempt is offered once more (its record may
 * be a heartbeat behind a slot that just freed) and then left pending: no retry, since a storm of
 * retries (one task per waiting job, every few seconds) would only load the queue and the functions.
 * The watchdog still bounds the wait: it re-dispatches a pending attempt after WORKER_WAIT_SECONDS +
 * 60 s, which then fails over here. With no pulling worker, Cloud Tasks retries with backoff.
 */
async function waitForWorker(
  services: Services,
  jobId: string,
  attempt: Attempt,
  options: PlaceAttemptOptions,
  workers: { live: WorkerRecord[]; tried: string[] },
): Promise<void> {
  const waitedMs = Date.now() - attempt.createdAt.getTime();
  if (waitedMs >= options.workerWaitMs) {
    const seconds = Math.round(waitedMs / 1000);
    return failOver(services, jobId, attempt, new JobError('no_worker_available', `No GPU worker had room for ${seconds} s.`));
  }
  const pullers = workers.live.filter((worker) => worker.pullsBacklog);
  if (pullers.length > 0) {
    const untried = pullers.filter((worker) => !workers.tried.includes(worker.workerId));
    const task = { jobId, attemptIndex: attempt.index, tier: attempt.tier };
    const outcome = await offerToWorkers(untried, task, { secret: options.workerSecret, timeoutMs: options.workerRequestTimeoutMs });
    if (outcome.kind === 'taken') logger.info('Worker took the attempt', { jobId, attemptIndex: attempt.index, workerId: outcome.workerId, status: outcome.response.status });
    else logger.info('Every GPU worker is busy; the attempt waits for one to pull it', { jobId, attemptIndex: attempt.index, pullers: pullers.map((w) => w.workerId) });
    return;
  }
  // Thrown so that Cloud Tasks retries with the queue's backoff.
  throw new HttpsError('resource-exhausted', 'No GPU worker has room yet; retrying.');
}

async function failOver(services: Services, jobId: string, attempt: Attempt, error: JobError): Promise<void> {
  const result = await services.jobs.transition(jobId, (job, now) =>
    failPendingAttempt(job, { attemptIndex: attempt.index, error: error.toData(), now }),
  );
  logger.info('Attempt could not be placed', { jobId, attemptIndex: attempt.index, code: error.code, detail: error.message, applied: result.ok });
  await followUp(followUpServices(services, cloudLog({ jobId })), jobId, result);
}
