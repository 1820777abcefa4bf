import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { JobError, type Job } from '@vidgen/contract';
import { dispatchNext } from '@vidgen/contract/admin';
import { runUnderLease, type Produced, type RunContext, type RunLog } from '@vidgen/runner';
import type { Graph } from '../comfy/client';
import { followPrompt } from '../comfy/follow-prompt';
import type { Logger } from '../logger';
import type { WorkerServices } from '../services';
import { prepareGraph } from './prepare-graph';
import { ProgressTracker } from './stages';

export interface LeasedAttempt {
  jobId: string;
  job: Job;
  leaseToken: string;
  claimedAt: number;
}

/**
 * Runs one leased attempt on ComfyUI to its end (see {@link runUnderLease} for the lease, the
 * encode, the store and the fenced finish), then hands on the next attempt if the job needs one.
 */
export async function runLeasedAttempt(services: WorkerServices, leased: LeasedAttempt, controller: AbortController, log: Logger): Promise<void> {
  const { config, jobs, metrics } = services;
  const { jobId } = leased;
  let progressWrites = 0;
  const end = await runUnderLease(
    {
      jobs,
      jobId,
      job: leased.job,
      leaseToken: leased.leaseToken,
      leaseMs: config.LEASE_SECONDS * 1000,
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      store: services.store,
      tools: services.tools,
      workRoot: services.workDir,
      log: pinoRunLog(log),
      controller,
      costUsd: () => gpuCost(config.GPU_COST_PER_HOUR, leased.claimedAt),
      onProgressWrite: () => {
        progressWrites += 1;
        metrics.progressWrites.inc();
      },
    },
    (context) => produceOnComfy(services, leased, context, log),
  );
  metrics.progressWritesPerAttempt.observe(progressWrites);
  if (end.kind === 'stopped' || !end.finished.ok) return;
  metrics.attempts.inc({ tier: leased.job.attempt?.tier ?? 'unknown', outcome: end.result.outcome });
  log.info({ outcome: end.result.outcome, state: end.finished.job.state }, 'Attempt finished');
  await dispatchNext(services.taskQueues, jobId, end.finished, { functionLocation: config.FUNCTIONS_LOCATION });
}

function pinoRunLog(log: Logger): RunLog {
  return {
    info: (message, fields = {}) => log.info(fields, message),
    warn: (message, fields = {}) => log.warn(fields, message),
  };
}

function gpuCost(perHour: number, since: number): number {
  return Math.round(((Date.now() - since) / 3_600_000) * perHour * 1e6) / 1e6;
}

/** Builds the workflow, runs it on ComfyUI, and downloads what it made into the run's folder. */
async function produceOnComfy(services: WorkerServices, leased: LeasedAttempt, context: RunContext, log: Logger): Promise<Produced> {
  const { job, jobId } = leased;
  const graph = await prepareGraph(services, job, jobId);
  // The claim wrote the `starting` stage; the next update comes from ComfyUI once the prompt runs.
  const tracker = new ProgressTracker(graph, (update) => context.progress(update));
  const files = await runOnComfy(services, { graph, existingPromptId: job.attempt!.providerJobId, context, tracker, log });
  const [file] = files;
  if (!file) throw new JobError('output_missing');
  const videoFile = join(context.workDir, `comfy-output${file.filename.slice(file.filename.lastIndexOf('.'))}`);
  await services.comfy.download(file, videoFile);
  return { videoFile };
}

/**
 * Queues the graph in ComfyUI under an id saved on the attempt first (so a redelivery re-attaches
 * instead of paying twice), and follows it. Listening starts before the submit so no event is missed.
 */
async function runOnComfy(
  services: WorkerServices,
  args: { graph: Graph; existingPromptId: string | null; context: RunContext; tracker: ProgressTracker; log: Logger },
) {
  const { comfy, socket, config } = services;
  await services.checker.check(args.graph);
  const reattach = args.existingPromptId !== null && (await isKnownToComfy(services, args.existingPromptId));
  const promptId = reattach ? args.existingPromptId! : randomUUID();
  const log = args.log.child({ promptId });
  if (!reattach) await args.context.saveProviderJobId(promptId);
  const submitGate = new AbortController();
  const following = followPrompt({
    client: comfy,
    socket,
    promptId,
    signal: AbortSignal.any([args.context.signal, submitGate.signal]),
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
      args.context.signal.throwIfAborted();
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
