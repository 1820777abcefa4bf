import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobError } from '@vidgen/contract';

const MIB = 1024 * 1024;

/**
 * A ceiling on what a provider's MP4 can weigh per second of video: 2.5 MiB/s, about 20 Mb/s, above
 * any H.264 + AAC stream the providers make at 720p or 1080p (a camera's 1080p is 10-17 Mb/s).
 */
export const MAX_VIDEO_BYTES_PER_SECOND = 2.5 * MIB;

/** Veo's longest clip, a 148 s chain (720p: Veo extends at 720p only): 370 MiB at the ceiling. */
export const VEO_MAX_DOWNLOAD_BYTES = 148 * MAX_VIDEO_BYTES_PER_SECOND;

/**
 * Replicate's models make at most 3 s (SVD's 25 frames at 1024x576; AnimateDiff's 16 at 512x512):
 * 64 MiB is far above either, and still small beside Veo's bound.
 */
export const REPLICATE_MAX_DOWNLOAD_BYTES = 64 * MIB;

export interface DownloadOptions {
  /** The provider, for messages. */
  provider: string;
  maxBytes: number;
  signal: AbortSignal;
  headers?: Record<string, string>;
}

function tooLarge(options: DownloadOptions, what: string): JobError {
  return new JobError(
    'output_too_large',
    `${options.provider}'s video ${what} more than the ${Math.round(options.maxBytes / MIB)} MiB this service takes; it was not kept.`,
  );
}

function httpFailure(options: DownloadOptions, status: number): JobError {
  if (status === 429) return new JobError('provider_rate_limited', `${options.provider}'s video download answered 429.`);
  if (status >= 500) return new JobError('provider_unavailable', `${options.provider}'s video download answered ${status}.`);
  return new JobError('output_missing', `${options.provider}'s video download answered ${status}.`);
}

/**
 * Streams a provider's video into `file`, at most `maxBytes` of it. On Cloud Functions the run's
 * folder is in memory (`/tmp` is a RAM disk), so a body that announces more, or turns out to hold
 * more, fails the attempt as `output_too_large` (its partial file removed) instead of exhausting the
 * instance. Returns the bytes written.
 */
export async function downloadBounded(url: string, file: string, options: DownloadOptions): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal, ...(options.headers ? { headers: options.headers } : {}) });
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw new JobError('provider_unavailable', `${options.provider}'s video could not be downloaded: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw httpFailure(options, response.status);
  }
  const announced = Number(response.headers.get('content-length') ?? NaN);
  if (announced > options.maxBytes) {
    await response.body.cancel();
    throw tooLarge(options, `announces ${Math.ceil(announced / MIB)} MiB,`);
  }

  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) done(tooLarge(options, 'holds'));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body), limit, createWriteStream(file), { signal: options.signal });
  } catch (error) {
    await rm(file, { force: true });
    if (JobError.is(error) || options.signal.aborted) throw error;
    throw new JobError('provider_unavailable', `${options.provider}'s video download broke off: ${(error as Error).message}`, { cause: error });
  }
  return bytes;
}
