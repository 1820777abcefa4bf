import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  finishAttempt,
  JobError,
  percentFor,
  recordAttemptCost,
  recordProviderJob,
  recordStrayProviderJob,
  reportProgress,
  type AttemptResult,
  type ClaimedJob,
  type PublishedOutput,
  type ProgressUpdate,
  type Stage,
} from '@vidgen/contract';
import { LeaseKeeper, ProgressReporter, watchLease, type JobRepository, type RepositoryResult } from '@vidgen/contract/admin';
import { encodeForWeb, outputPaths, publishOutput, removeLosingOutputs, type ObjectStore } from '@vidgen/media';
import type { RunLog } from './run-log';
import { RunStopped } from './run-stopped';

/** What a backend hands back: a video file in the run's work folder. */
export interface Produced {
  videoFile: string;
  /** Cut the video to this many seconds when the backend made a longer one (chained extensions). */
  trimToSeconds?: number;
  /** Keep the source's sound (Veo makes some); otherwise the stored video is silent. */
  keepAudio?: boolean;
  /** What the backend charged for it, when it says. */
  costUsd?: number;
}

/** What a backend gets while it makes the video. */
export interface RunContext {
  /** Aborted with a {@link RunStopped} on a cancel, a lost lease or a shutdown: stop, and cancel remote work. */
  signal: AbortSignal;
  /** A folder of this run's own, removed when it ends. */
  workDir: string;
  /** Reports progress; written at most once per interval, the latest value always lands. */
  progress(update: ProgressUpdate): void;
  /**
   * Saves the backend's own id for the work on the attempt (fenced) before waiting on it, so a
   * redelivery re-attaches. When the save is refused (a cancel or a lost lease came first), the run
   * is stopped, so the backend cancels the work, the id is recorded beside the attempt so that what
   * the work cost is still read and counted, and this throws a {@link RunStopped}.
   */
  saveProviderJobId(id: string): Promise<void>;
  /**
   * Records what the attempt's finished paid work cost so far (the running total: after a Veo
   * segment, once a prediction ended), on the attempt and fenced, before anything more is started.
   * Throws a {@link RunStopped} when the lease is gone (a cancel, the watchdog), so nothing more
   * is paid for. Counted whatever the attempt's outcome.
   */
  recordCost(totalUsd: number): Promise<void>;
}

export interface LeasedRun {
  jobs: JobRepository;
  jobId: string;
  /** The job as the claim wrote it. */
  job: ClaimedJob;
  leaseToken: string;
  leaseMs: number;
  progressIntervalMs: number;
  store: ObjectStore;
  tools: { ffmpeg: string; ffprobe: string };
  /** Where the run's work folder is made. */
  workRoot: string;
  log: RunLog;
  /** Lets the owner stop the run from outside (a draining worker aborts with `RunStopped('shutdown')`). */
  controller?: AbortController;
  /**
   * What the attempt cost, asked once it ended (`null`: it failed); by default what the backend said
   * it made the video for, or on a failure what it recorded with `recordCost`.
   */
  costUsd?: (produced: Produced | null) => number;
  /** Told of each progress write (metrics). */
  onProgressWrite?: () => void;
}

export type RunEnd =
  /** The run stopped without writing its end: its job was cancelled or its lease was lost. */
  | { kind: 'stopped'; reason: RunStopped['reason'] }
  /**
   * The run wrote its end (or tried: `finished.ok` is false when the lease was gone by then); the
   * caller carries out what `finished` asks for next with `followUp`.
   */
  | { kind: 'finished'; result: AttemptResult; finished: RepositoryResult };

/**
 * Runs one claimed attempt to its end: keeps the lease and watches the job while `produce` makes the
 * video, encodes it for the web, renews the lease once more, stores it, and finishes the attempt.
 * Every job write is fenced by the lease token; once the lease is lost or the job cancelled, the run
 * aborts and writes nothing more.
 */
export async function runUnderLease(run: LeasedRun, produce: (context: RunContext) => Promise<Produced>): Promise<RunEnd> {
  const { jobs, jobId, job, leaseToken, log } = run;
  const controller = run.controller ?? new AbortController();
  const stop = (stopped: RunStopped) => controller.abort(stopped);
  const keeper = new LeaseKeeper(jobs, jobId, leaseToken, run.leaseMs);
  keeper.on('renewalFailed', (error) => log.warn('Lease renewal failed; retrying', { err: error.message }));
  keeper.on('lost', (refusal) => stop(new RunStopped('lease_lost', refusal)));
  const stopWatching = watchLease(
    jobs,
    jobId,
    leaseToken,
    (end) => stop(end === 'cancelled' ? new RunStopped('cancelled') : new RunStopped('lease_lost', 'job changed hands')),
    (error) => log.warn('Job listener failed; the lease keeper still guards the run', { err: error.message }),
  );
  const reporter = new ProgressReporter(async (progress) => {
    await jobs.transition(jobId, (current, now) => reportProgress(current, { leaseToken, progress, now }));
    run.onProgressWrite?.();
  }, run.progressIntervalMs);
  const setStage = (stage: Stage) => reporter.update({ stage, step: null, totalSteps: null, percent: percentFor(stage), etaSeconds: null });
  // A re-attached run starts from what the attempt's earlier runner recorded.
  let spentUsd = job.attempt.costUsd;
  const costOf = run.costUsd ?? ((produced: Produced | null) => produced?.costUsd ?? spentUsd);
  const workDir = await mkdtemp(join(run.workRoot, `${jobId}-`));
  keeper.start();

  let result: AttemptResult;
  try {
    const produced = await produce({
      signal: controller.signal,
      workDir,
      progress: (update) => reporter.update(update),
      saveProviderJobId: async (id) => {
        const saved = await jobs.transition(jobId, (current, now) => recordProviderJob(current, { leaseToken, providerJobId: id, now }));
        if (saved.ok) return;
        const stopped = new RunStopped(saved.refusal === 'job_terminal' ? 'cancelled' : 'lease_lost', saved.refusal);
        stop(stopped);
        await recordStray(run, id);
        throw stopped;
      },
      recordCost: async (totalUsd) => {
        spentUsd = Math.max(spentUsd, totalUsd);
        const recorded = await jobs.transition(jobId, (current, now) => recordAttemptCost(current, { leaseToken, costUsd: totalUsd, now }));
        if (recorded.ok) return;
        const stopped = new RunStopped(recorded.refusal === 'job_terminal' ? 'cancelled' : 'lease_lost', recorded.refusal);
        stop(stopped);
        throw stopped;
      },
    });
    setStage('encoding');
    // Storing is the one step that cannot be taken back: the lease must be ours, renewed, before it.
    // The renewal runs beside the encode (and once more after it if the encode took a while), so that
    // it costs no time on a short video.
    const encodeStarted = Date.now();
    const renewal = keeper.renew();
    const encoded = await encodeForWeb(run.tools, produced.videoFile, { video: join(workDir, 'video.mp4'), poster: join(workDir, 'poster.jpg') }, controller.signal, {
      maxSeconds: produced.trimToSeconds,
      keepAudio: produced.keepAudio,
    }).finally(() => renewal);
    setStage('uploading');
    let stillOurs = await renewal;
    if (stillOurs && Date.now() - encodeStarted > run.leaseMs / 4) stillOurs = await keeper.renew();
    if (!stillOurs || controller.signal.aborted) throw controller.signal.reason ?? new RunStopped('lease_lost');
    const output: PublishedOutput = await publishOutput(run.store, encoded, outputPaths(job.ownerUid, jobId, job.attempt.index));
    result = { outcome: 'succeeded', output, costUsd: costOf(produced) };
  } catch (error) {
    const stopped = [controller.signal.reason, error].find((reason): reason is RunStopped => reason instanceof RunStopped);
    if (stopped && !stopped.mayWrite) {
      log.info('Run stopped; it writes nothing more', { reason: stopped.message });
      return { kind: 'stopped', reason: stopped.reason };
    }
    const failure = stopped ? new JobError('worker_shutdown') : JobError.from(error);
    log.warn('Attempt failed', { code: failure.code, err: failure.message });
    result = { outcome: 'failed', error: failure.toData(), costUsd: costOf(null) };
  } finally {
    keeper.stop();
    stopWatching();
    await reporter.stop();
    await rm(workDir, { recursive: true, force: true });
  }

  const finished = await jobs.transition(jobId, (current, now) => finishAttempt(current, { leaseToken, result, now }));
  if (!finished.ok) await discardAfterLoss(run, finished.refusal, result);
  return { kind: 'finished', result, finished };
}

/**
 * Keeps the id of work started for an attempt the run no longer holds on the job (unfenced, beside
 * the attempt) when only its provider can say what it cost: the books and the watchdog read it from
 * there to charge the work and to cancel it if it still runs. A failure is logged with the id, the
 * one trace left of that work.
 */
async function recordStray(run: LeasedRun, providerJobId: string): Promise<void> {
  const attempt = run.job.attempt;
  try {
    const recorded = await run.jobs.transition(run.jobId, (current, now) => recordStrayProviderJob(current, { attempt, providerJobId, now }));
    if (recorded.ok) run.log.warn('Work started for an attempt this run no longer holds was recorded beside it', { providerJobId });
    else if (recorded.refusal === 'cost_known') run.log.info('Work started for an attempt this run no longer holds was stopped; the attempt carries its cost', { providerJobId });
    else if (recorded.refusal !== 'provider_job_known') run.log.warn('Could not record work started for an attempt this run no longer holds', { providerJobId, refusal: recorded.refusal });
  } catch (error) {
    run.log.warn('Could not record work started for an attempt this run no longer holds', { providerJobId, err: (error as Error).message });
  }
}

/**
 * The finish was refused (the lease was lost meanwhile): a run that had stored its video removes
 * it. What a finish that was written leaves behind is `followUp`'s to tidy.
 */
async function discardAfterLoss(run: LeasedRun, refusal: string, result: AttemptResult): Promise<void> {
  run.log.warn('The attempt ended after losing its lease; its result was discarded', { refusal });
  try {
    if (result.outcome !== 'succeeded') return;
    const latest = await run.jobs.get(run.jobId);
    if (latest) await removeLosingOutputs(run.store, latest, run.jobId);
  } catch (error) {
    run.log.warn('Could not remove the outputs of attempts that lost', { err: (error as Error).message });
  }
}
