import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Firestore } from 'firebase/firestore';
import { cancelVideoJob, createVideoJob, isFinished, uploadReferenceImage, watchVideoJob, type Job, type VideoJobInput } from '@vidgen/client';
import { downloadVideo } from './download';
import { CliError, EXIT, explainError, Interrupted } from './errors';
import { attemptLine, formatBytes, summaryLines } from './format';
import type { GenerateOptions } from './options';
import type { JobView } from './progress-view';
import type { ReferenceImage } from './reference-image';
import { signIn, type Target } from './target';

export interface RunContext {
  options: GenerateOptions;
  /** The --image file, already read and checked. */
  image: ReferenceImage | null;
  target: Target;
  view: JobView;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Where messages go that are not progress: errors and the cancellation. */
  stderr: NodeJS.WritableStream;
}

/** `promise`, or Interrupted as soon as `signal` aborts. */
export function untilInterrupted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    const stopListening = () => signal.removeEventListener('abort', onAbort);
    promise.then(stopListening, stopListening);
    // Settles as `promise` does, with its value or its own rejection reason, unless the abort came first.
    resolvePromise(promise);
  });
}

/**
 * Follows the job with a snapshot listener until it is finished: progress to the view, and each
 * attempt as it ends. Resolves with the finished job.
 */
function followJob(db: Firestore, jobId: string, view: JobView, signal: AbortSignal): Promise<Job> {
  return new Promise<Job>((resolvePromise, reject) => {
    let attemptsShown = 0;
    let unsubscribe: () => void = () => {};
    const finish = (settle: () => void) => {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(new Interrupted()));
    unsubscribe = watchVideoJob(db, jobId, {
      onChange(job) {
        for (const record of job.attempts.slice(attemptsShown)) view.log(attemptLine(record));
        attemptsShown = Math.max(attemptsShown, job.attempts.length);
        view.update(job);
        if (isFinished(job)) finish(() => resolvePromise(job));
      },
      onError(error) {
        finish(() => reject(new CliError(`Lost the updates of job ${jobId}: ${error.message}`)));
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

function requestOf(options: GenerateOptions, referenceImagePath: string | undefined): VideoJobInput {
  return {
    prompt: options.prompt,
    model: options.model as VideoJobInput['model'],
    ...(options.negativePrompt !== null ? { negativePrompt: options.negativePrompt } : {}),
    ...(referenceImagePath ? { referenceImagePath } : {}),
    ...(options.aspectRatio !== null ? { aspectRatio: options.aspectRatio as VideoJobInput['aspectRatio'] } : {}),
    ...(options.durationSeconds !== null ? { durationSeconds: options.durationSeconds } : {}),
    ...(options.seed !== null ? { seed: options.seed } : {}),
    // One key per run: should the SDK retry the call, the server returns the same job.
    idempotencyKey: randomUUID(),
  };
}

/** Ctrl-C once the job may exist: cancel it (waiting for a creation in flight to say which job), then 130. */
async function cancelOnInterrupt(context: RunContext, job: { id: string | null; creating: Promise<string> | null }): Promise<number> {
  const { target, stderr } = context;
  const jobId = job.id ?? (job.creating ? await job.creating.catch(() => null) : null);
  if (!jobId) {
    stderr.write('Interrupted.\n');
    return EXIT.interrupted;
  }
  stderr.write(`Interrupted: cancelling job ${jobId}…\n`);
  try {
    const state = await cancelVideoJob(target.functions, jobId);
    stderr.write(`Job ${jobId} is ${state}.\n`);
  } catch (error) {
    stderr.write(`Could not cancel job ${jobId}: ${explainError(error, target.local).message}\n`);
  }
  return EXIT.interrupted;
}

/**
 * The whole run: sign in, upload the reference image, create the job, follow it, download the
 * video. Resolves with the exit status; throws (a CliError, or what the SDK threw) on failure.
 */
export async function generateVideo(context: RunContext): Promise<number> {
  const { options, image, target, view, signal } = context;
  const job: { id: string | null; creating: Promise<string> | null } = { id: null, creating: null };
  try {
    const uid = await untilInterrupted(signIn(target), signal);
    let referenceImagePath: string | undefined;
    if (image) {
      view.log(`Uploading ${image.file} (${formatBytes(image.bytes.length)})…`);
      referenceImagePath = await untilInterrupted(uploadReferenceImage(target.storage, uid, image.name, image.bytes, image.contentType), signal);
      view.log(`Uploaded the reference image to ${referenceImagePath}`);
    }
    job.creating = createVideoJob(target.functions, requestOf(options, referenceImagePath));
    job.id = await untilInterrupted(job.creating, signal);
    view.log(`Job ${job.id} (model ${options.model}) on ${target.label}`);

    const finished = await followJob(target.db, job.id, view, signal);
    view.stop();
    if (finished.state === 'failed') {
      const error = finished.error;
      throw new CliError(`The video failed: ${error ? `${error.code}: ${error.message}` : 'no error was recorded'}`);
    }
    if (finished.state === 'cancelled') throw new CliError(`Job ${job.id} was cancelled.`);
    const output = finished.output;
    if (!output) throw new CliError(`Job ${job.id} succeeded without an output`);

    const file = resolve(options.out ?? `${job.id}.mp4`);
    const size = await downloadVideo(output.downloadUrl, file, signal);
    for (const line of summaryLines(file, size, output, finished.costUsd)) view.log(line);
    return EXIT.ok;
  } catch (error) {
    view.stop();
    if (error instanceof Interrupted) return cancelOnInterrupt(context, job);
    throw error;
  }
}
