import { httpsCallable, type Functions } from 'firebase/functions';
import { doc, onSnapshot, type Firestore } from 'firebase/firestore';
import { getDownloadURL, ref, uploadBytes, type FirebaseStorage } from 'firebase/storage';
import {
  COLLECTIONS,
  isOutputExpired,
  JobSchema,
  reviveDates,
  type CreateVideoJobRequest,
  type CreateVideoJobResponse,
  type Job,
  type JobState,
} from '@vidgen/contract';

export type { Attempt, AttemptRecord, CreateVideoJobRequest, Job, JobState, Output, Progress, Stage, Tier } from '@vidgen/contract';
export { emulatorAppCheckToken, initAppCheck, type AppCheckSetup } from './app-check';

/** Functions live in this region; pass it to `getFunctions(app, REGION)`. */
export const REGION = 'us-central1';

/** The input of `createVideoJob` as a caller writes it: `model` may be left out (it defaults to `auto`). */
export type VideoJobInput = Omit<CreateVideoJobRequest, 'model'> & { model?: CreateVideoJobRequest['model'] };

/**
 * Asks for a video. Resolves with the job id at once (the video is made in the background); a bad
 * input rejects with a FunctionsError whose code is `functions/invalid-argument` and whose message
 * names the field. Pass an `idempotencyKey` to make retries safe.
 */
export async function createVideoJob(functions: Functions, input: VideoJobInput): Promise<string> {
  const call = httpsCallable<VideoJobInput, CreateVideoJobResponse>(functions, 'createVideoJob');
  return (await call(input)).data.jobId;
}

/** Cancels a job of the signed-in user; resolves with its state afterwards. */
export async function cancelVideoJob(functions: Functions, jobId: string): Promise<JobState> {
  const call = httpsCallable<{ jobId: string }, { state: JobState }>(functions, 'cancelVideoJob');
  return (await call({ jobId })).data.state;
}

export interface WatchHandlers {
  /** Every change of the job, typed, with Firestore Timestamps turned into Dates. */
  onChange(job: Job): void;
  /** Permission denied (not your job), or a listener failure. */
  onError?(error: Error): void;
}

/**
 * Watches `jobs/{jobId}` with a snapshot listener (never polling). Returns the unsubscribe function;
 * call it when the job is terminal or the view goes away.
 */
export function watchVideoJob(db: Firestore, jobId: string, handlers: WatchHandlers | ((job: Job) => void)): () => void {
  const { onChange, onError } = typeof handlers === 'function' ? { onChange: handlers, onError: undefined } : handlers;
  return onSnapshot(
    doc(db, COLLECTIONS.jobs, jobId),
    (snapshot) => {
      if (!snapshot.exists()) return;
      const parsed = JobSchema.safeParse(reviveDates(snapshot.data()));
      if (parsed.success) onChange(parsed.data);
      else onError?.(new Error(`Job ${jobId} does not match the contract: ${parsed.error.message}`));
    },
    (error) => onError?.(error),
  );
}

export function isFinished(job: Job): boolean {
  return job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled';
}

/**
 * Whether a succeeded job's video has expired: past `output.expiresAt` the bucket's lifecycle rule
 * may have removed it (and its poster), so show the job as expired rather than a dead link.
 */
export function isVideoExpired(job: Job, now: Date = new Date()): boolean {
  return job.state === 'succeeded' && isOutputExpired(job.output, now);
}

/**
 * Uploads a reference image to the caller's own folder (`uploads/{uid}/...`, the only place the
 * rules allow) and returns the path to pass as `referenceImagePath`.
 */
export async function uploadReferenceImage(storage: FirebaseStorage, uid: string, name: string, bytes: Blob | Uint8Array, contentType: string): Promise<string> {
  const safeName = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '') || 'image';
  const path = `uploads/${uid}/${Date.now()}-${safeName}`;
  await uploadBytes(ref(storage, path), bytes, { contentType });
  return path;
}

/** A download URL for a Storage path the user may read (their own uploads and videos). */
export function storageUrl(storage: FirebaseStorage, path: string): Promise<string> {
  return getDownloadURL(ref(storage, path));
}
