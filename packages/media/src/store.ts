import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { JobError, type Job, type PublishedOutput } from '@vidgen/contract';
import type { Encoded } from './encode';

/** Where finished videos and posters go. Objects are streamed in; nothing is held whole in memory. */
export interface ObjectStore {
  /** Streams `body` to `path`; resolves with the URL a client downloads it from. */
  put(path: string, body: Readable, options: { contentType: string }): Promise<{ downloadUrl: string; sizeBytes: number }>;
  /** Reads an object (a caller's reference image); rejects when it does not exist. */
  read(path: string): Promise<{ body: Readable; contentType: string; sizeBytes: number }>;
  /** Deletes an object; one that does not exist is already deleted. */
  remove(path: string): Promise<void>;
}

/** Reads a whole object into memory, refusing one above `maxBytes` (reference images are small). */
export async function readSmallObject(store: ObjectStore, path: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: string }> {
  const { body, contentType, sizeBytes } = await store.read(path);
  if (sizeBytes > maxBytes) {
    body.destroy();
    throw new Error(`${path} is ${sizeBytes} bytes, more than the ${maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), contentType };
}

/** Storage paths of an attempt's output: per attempt, so a late writer can never replace the winner's file. */
export function outputPaths(ownerUid: string, jobId: string, attemptIndex: number): { video: string; poster: string } {
  const base = `videos/${ownerUid}/${jobId}/attempt-${attemptIndex}`;
  return { video: `${base}.mp4`, poster: `${base}.jpg` };
}

/**
 * Deletes what ended attempts left in storage, except the output the job points to. A runner that
 * died mid-upload may still have completed its object (its last bytes had left), and one frozen
 * mid-upload may complete it late: whoever ends a job, or learns that its own attempt ended
 * without it, calls this.
 */
export async function removeLosingOutputs(store: ObjectStore, job: Job, jobId: string): Promise<void> {
  await Promise.all(losingOutputPaths(job, jobId).map((path) => store.remove(path)));
}

/** What ended attempts may have stored and the job's output does not use: only a claimed attempt (one with a runner) ever stores. */
export function losingOutputPaths(job: Job, jobId: string): string[] {
  const kept = job.output?.storagePath;
  return job.attempts
    .filter((attempt) => attempt.workerId !== null && outputPaths(job.ownerUid, jobId, attempt.index).video !== kept)
    .flatMap((attempt) => Object.values(outputPaths(job.ownerUid, jobId, attempt.index)));
}

/** Uploads an encoded video and its poster and describes them as the job's `output`. */
export async function publishOutput(store: ObjectStore, encoded: Encoded, paths: { video: string; poster: string }): Promise<PublishedOutput> {
  try {
    const [video, poster] = await Promise.all([
      store.put(paths.video, createReadStream(encoded.video), { contentType: 'video/mp4' }),
      store.put(paths.poster, createReadStream(encoded.poster), { contentType: 'image/jpeg' }),
    ]);
    return {
      storagePath: paths.video,
      downloadUrl: video.downloadUrl,
      mimeType: 'video/mp4',
      width: encoded.info.width,
      height: encoded.info.height,
      frameCount: encoded.info.frameCount,
      fps: encoded.info.fps,
      durationSeconds: Math.round(encoded.info.durationSeconds * 1000) / 1000,
      sizeBytes: video.sizeBytes,
      posterPath: paths.poster,
      posterUrl: poster.downloadUrl,
    };
  } catch (error) {
    throw new JobError('storage_failed', `The video could not be stored: ${(error as Error).message}`, { cause: error });
  }
}
