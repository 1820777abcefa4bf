import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  finishAttempt,
  JobError,
  recordProviderJob,
  reportProgress,
  type AttemptResult,
  type Job,
  type Output,
} from '@vidgen/contract';
import { enqueueAttempt, LeaseKeeper, ProgressReporter, watchLease } from '@vidgen/contract/admin';
import type { Graph } from '../comfy/client';
import { followPrompt } from '../comfy/follow-prompt';
import { encodeForWeb, outputPaths, publishOutput } from '@vidgen/media';
import type { Logger } from '../logger';
import type { WorkerServices } from '../services';
import { RunAborted } from './errors';
import { prepareGraph } from './prepare-graph';
import { ProgressTracker } from './stages';

export interface LeasedAttempt {
  jobId: string;
  job: Job;
  attemptIndex: number;
  leaseToken: string;
  claimedAt: number;
}

/**
 * Runs one leased attempt to its end: workflow → ComfyUI → encode → store → finish. Every job write
 * is fenced by the lease token. A lost lease or a cancel aborts the run and it writes nothing more.
 */
export async function runLeasedAttempt(services: WorkerServices, leased: LeasedAttempt, controller: AbortController, log: Logger): Promise<void> {
  const { config, jobs } = services;
  const { jobId, leaseToken } = leased;
  const leaseMs = config.LEASE_SECONDS * 1000;
  const keeper = new LeaseKeeper(jobs, jobId, leaseToken, leaseMs);
  keeper.on('renewalFailed', (error) => log.warn({ err: error.message }, 'Lease renewal failed; retrying'));
  keeper.on('lost', (refusal) => controller.abort(new RunAborted('lease_lost', refusal)));
  const stopWatching = watchLease(
    jobs,
    jobId,
    leaseToken,
    (end) => controller.abort(end === 'cancelled' ? new RunAborted('cancelled') : new RunAborted('lease_lost', 'job changed hands')),
    (error) => log.warn({ err: error.message }, 'Job listener failed; the lease keeper still guards the run'),
  );
  const reporter = new ProgressReporter(async (progress) => {
    await jobs.transition(jobId, (job, now) => reportProgress(job, { leaseToken, progress, now }));
    services.metrics.progressWrites.inc();
  }, config.PROGRESS_INTERVAL_MS);
  const workDir = await mkdtemp(join(services.workDir, `${jobId}-`));
  keeper.start();

  let result: AttemptResult;
  try {
    const output = await produce(services, leased, controller.signal, reporter, keeper, workDir, log);
    result = { outcome: 'succeeded', output, costUsd: gpuCost(config.GPU_COST_PER_HOUR, leased.claimedAt) };
  } catch (error) {
    const aborted = controller.signal.reason;
    if (aborted instanceof RunAborted && !aborted.mayWrite) {
      log.info({ reason: aborted.message }, 'Run stopped; it writes nothing more');
      return;
    }
    const failure = aborted instanceof RunAborted ? new JobError('worker_shutdown') : JobError.from(error);
    log.warn({ code: failure.code, err: failure.message }, 'Attempt failed');
    result = { outcome: 'failed', error: failure.toData(), costUsd: gpuCost(config.GPU_COST_PER_HOUR, leased.claimedAt) };
  } finally {
    keeper.stop();
    stopWatching();
    await reporter.stop();
    services.metrics.progressWritesPerAttempt.observe(reporter.writes);
    await rm(workDir, { recursive: true, force: true });
  }

  const finished = await jobs.transition(jobId, (job, now) => finishAttempt(job, { leaseToken, result, now }));
  if (!finished.ok) {
    log.warn({ refusal: finished.refusal }, 'The attempt ended after losing its lease; its result was discarded');
    return;
  }
  services.metrics.attempts.inc({ tier: leased.job.attempt?.tier ?? 'unknown', outcome: result.outcome });
  log.info({ outcome: result.outcome, state: finished.job.state }, 'Attempt finished');
  if (finished.next.kind === 'dispatch' && finished.job.attempt) {
    await enqueueAttempt(services.taskQueues, { jobId, attemptIndex: finished.next.attemptIndex, dispatchCount: finished.job.attempt.dispatchCount }, { functionLocation: config.FUNCTIONS_LOCATION });
  }
}

function gpuCost(perHour: number, since: number): number {
  return Math.round(((Date.now() - since) / 3_600_000) * perHour * 1e6) / 1e6;
}

async function produce(
  services: WorkerServices,
  leased: LeasedAttempt,
  signal: AbortSignal,
  reporter: ProgressReporter,
  keeper: LeaseKeeper,
  workDir: string,
  log: Logger,
): Promise<Output> {
  const { job, jobId, attemptIndex, leaseToken } = leased;
  const attempt = job.attempt!;
  const graph = await prepareGraph(services, job, jobId);
  // The claim wrote the `starting` stage; the next update comes from ComfyUI once the prompt runs.
  const tracker = new ProgressTracker(graph, (update) => reporter.update(update));

  const files = await runOnComfy(services, { jobId, leaseToken, graph, existingPromptId: attempt.providerJobId, signal, tracker, log });
  const [file] = files;
  if (!file) throw new JobError('output_missing');

  tracker.setStage('encoding', null, null, null);
  const raw = join(workDir, `comfy-output${file.filename.slice(file.filename.lastIndexOf('.'))}`);
  await services.comfy.download(file, raw);
  const encoded = await encodeForWeb(services.tools, raw, { video: join(workDir, 'video.mp4'), poster: join(workDir, 'poster.jpg') }, signal);

  tracker.setStage('uploading', null, null, null);
  if (!(await keeper.renew()) || signal.aborted) throw signal.reason ?? new RunAborted('lease_lost');
  return publishOutput(services.store, encoded, outputPaths(job.ownerUid, jobId, attemptIndex));
}

/**
 * Queues the graph in ComfyUI under an id saved on the attempt first (so a redelivery re-attaches
 * instead of paying twice), and follows it. Listening starts before the submit so no event is missed.
 */
async function runOnComfy(
  services: WorkerServices,
  args: { jobId: string; leaseToken: string; graph: Graph; existingPromptId: string | null; signal: AbortSignal; tracker: ProgressTracker; log: Logger },
) {
  const { comfy, socket, config } = services;
  await services.checker.check(args.graph);
  const reattach = args.existingPromptId !== null && (await isKnownToComfy(services, args.existingPromptId));
  const promptId = reattach ? args.existingPromptId! : randomUUID();
  const log = args.log.child({ promptId });
  if (!reattach) {
    const saved = await services.jobs.transition(args.jobId, (job, now) => recordProviderJob(job, { leaseToken: args.leaseToken, providerJobId: promptId, now }));
    if (!saved.ok) throw new RunAborted('lease_lost', saved.refusal);
  }
  const submitGate = new AbortController();
  const following = followPrompt({
    client: comfy,
    socket,
    promptId,
    signal: AbortSignal.any([args.signal, submitGate.signal]),
    historyPollMs: config.HISTORY_POLL_SECONDS * 1000,
    stallMs: config.STALL_TIMEOUT_SECONDS * 1000,
    log,
    onEvent: (event) => {
      if (event.kind === 'node') args.tracker.node(event.nodeId);
      else if (event.kind === 'progress') args.tracker.progress(event.nodeId, event.value, event.max);
      else args.tracker.setStage('loading_models', null, null, null);
    },
  });
  if (reattach) {
    log.info('Re-attached to the prompt already in ComfyUI');
  } else {
    try {
      args.signal.throwIfAborted();
      await comfy.submitPrompt(args.graph, { promptId, clientId: socket.clientId });
      log.info('Prompt queued in ComfyUI');
    } catch (error) {
      submitGate.abort(error);
      following.catch(() => undefined);
      throw error;
    }
  }
  return following;
}

async function isKnownToComfy(services: WorkerServices, promptId: string): Promise<boolean> {
  if (await services.comfy.history(promptId)) return true;
  const queue = await services.comfy.queue();
  return queue.running.includes(promptId) || queue.pending.includes(promptId);
}
