import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { JobError, type ClaimedJob } from '@vidgen/contract';
import { EnqueueFailed } from '@vidgen/contract/admin';
import { followUp, runUnderLease, type Produced, type RunContext, type RunLog } from '@vidgen/runner';
import type { Graph } from '../comfy/client';
import { followPrompt } from '../comfy/follow-prompt';
import { comfyFolders, removeAttemptLeftovers, type AttemptTraces } from '../comfy/leftovers';
import type { Logger } from '../logger';
import type { WorkerServices } from '../services';
import { jobErrorFromComfy } from './comfy-failures';
import { attemptFilenamePrefix, attemptStem, prepareGraph } from './prepare-graph';
import { ProgressTracker } from './stages';

/** An attempt this worker claimed, as the run needs it. */
export interface GpuClaim {
  jobId: string;
  job: ClaimedJob;
  leaseToken: string;
  claimedAt: number;
  /** The prompt id the claim saved on the attempt; null when an earlier runner's id was kept. */
  promptId: string | null;
}

/**
 * Runs one claimed attempt on this worker's ComfyUI to its end (see {@link runUnderLease} for the
 * lease, the encode, the store and the fenced finish), then follows up on its finish: hands on the
 * next attempt if the job needs one, or tidies the ended job's storage.
 */
export async function runOnGpu(services: WorkerServices, claimed: GpuClaim, controller: AbortController, log: Logger): Promise<void> {
  const { config, jobs, metrics } = services;
  const { jobId } = claimed;
  let progressWrites = 0;
  const runLog = pinoRunLog(log);
  const end = await runUnderLease(
    {
      jobs,
      jobId,
      job: claimed.job,
      leaseToken: claimed.leaseToken,
      leaseMs: config.LEASE_SECONDS * 1000,
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      store: services.store,
      tools: services.tools,
      workRoot: services.workDir,
      log: runLog,
      controller,
      costUsd: () => gpuCost(claimed.job.attempt.usdPerHour ?? config.GPU_COST_PER_HOUR, claimed.claimedAt),
      onProgressWrite: () => {
        progressWrites += 1;
        metrics.progressWrites.inc();
      },
    },
    // The worker's boundary: ComfyUI's failures become the job's errors here.
    (context) => produceOnComfy(services, claimed, context, log).catch((error: unknown) => {
      throw jobErrorFromComfy(error);
    }),
  );
  metrics.progressWritesPerAttempt.observe(progressWrites);
  if (end.kind === 'stopped' || !end.finished.ok) return;
  metrics.attempts.inc({ tier: claimed.job.attempt.tier, outcome: end.result.outcome });
  log.info({ outcome: end.result.outcome, state: end.finished.job.state }, 'Attempt finished');
  try {
    await followUp({ jobs, taskQueues: services.taskQueues, store: async () => services.store, functionLocation: config.FUNCTIONS_LOCATION, log: runLog }, jobId, end.finished);
  } catch (error) {
    if (!(error instanceof EnqueueFailed)) throw error;
    // The next attempt is written (pending): a worker's backlog pull or the watchdog picks it up.
    metrics.enqueueFailures.inc({ code: error.description.code });
    log.error({ code: error.description.code, err: error.message }, `Could not hand on the next attempt: ${error.description.fix}`);
  }
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

/**
 * Builds the workflow, runs it on ComfyUI, and downloads what it made into the run's folder. On
 * every way out (success, failure, cancel, lost lease) what the attempt left in ComfyUI is removed.
 */
async function produceOnComfy(services: WorkerServices, claimed: GpuClaim, context: RunContext, log: Logger): Promise<Produced> {
  const { job, jobId } = claimed;
  const index = job.attempt.index;
  const traces: AttemptTraces = {
    promptId: null,
    filenamePrefix: attemptFilenamePrefix(jobId, index),
    inputStem: job.request.referenceImagePath ? attemptStem(jobId, index) : null,
  };
  try {
    const graph = await prepareGraph(services, job, jobId);
    // The claim wrote the `starting` stage; the next update comes from ComfyUI once the prompt runs.
    const tracker = new ProgressTracker(graph, (update) => context.progress(update));
    const files = await queueAndFollowPrompt(services, { graph, savedPromptId: claimed.promptId, existingPromptId: job.attempt.providerJobId, context, tracker, log, traces });
    const [file] = files;
    if (!file) throw new JobError('output_missing');
    const videoFile = join(context.workDir, `comfy-output${file.filename.slice(file.filename.lastIndexOf('.'))}`);
    await services.comfy.download(file, videoFile);
    return { videoFile };
  } finally {
    await leaveComfy(services, traces, log);
  }
}

/**
 * Removes what the attempt left in ComfyUI, unless a redelivery of the same attempt re-attached to
 * the same prompt on this worker and still follows it: the last run to leave cleans up.
 */
async function leaveComfy(services: WorkerServices, traces: AttemptTraces, log: Logger): Promise<void> {
  const promptId = traces.promptId;
  if (promptId !== null) {
    const others = (services.promptFollowers.get(promptId) ?? 1) - 1;
    if (others > 0) return void services.promptFollowers.set(promptId, others);
    services.promptFollowers.delete(promptId);
  }
  await removeAttemptLeftovers(traces, {
    client: services.comfy,
    folders: comfyFolders(services.config),
    settleMs: services.config.COMFYUI_SETTLE_SECONDS * 1000,
    log: log.child({ promptId }),
  });
}

/**
 * Queues the graph in ComfyUI under an id saved on the attempt first (so a redelivery re-attaches
 * instead of paying twice), and follows it. Listening starts before the submit so no event is missed.
 * The id is usually the one the claim saved; an earlier runner's id is re-attached to when ComfyUI
 * knows it, else replaced by a new one, saved before the submit.
 */
async function queueAndFollowPrompt(
  services: WorkerServices,
  args: { graph: Graph; savedPromptId: string | null; existingPromptId: string | null; context: RunContext; tracker: ProgressTracker; log: Logger; traces: AttemptTraces },
) {
  const { comfy, socket, config } = services;
  await services.checker.check(args.graph);
  const earlier = args.savedPromptId === null ? args.existingPromptId : null;
  const reattach = earlier !== null && (await isKnownToComfy(services, earlier));
  const promptId = reattach ? earlier : (args.savedPromptId ?? randomUUID());
  args.traces.promptId = promptId;
  services.promptFollowers.set(promptId, (services.promptFollowers.get(promptId) ?? 0) + 1);
  const log = args.log.child({ promptId });
  if (!reattach && promptId !== args.savedPromptId) await args.context.saveProviderJobId(promptId);
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
