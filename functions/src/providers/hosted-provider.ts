import type { Attempt, CreateVideoJobRequest, TierParams } from '@vidgen/contract';
import type { ProgressUpdate } from '@vidgen/contract';

/** What a hosted provider (Veo, Replicate) gets to make one attempt's video. */
export interface HostedRun {
  jobId: string;
  attempt: Attempt;
  request: CreateVideoJobRequest;
  params: TierParams;
  /** Aborted when the job is cancelled or the lease is lost: stop, and cancel remote work if possible. */
  signal: AbortSignal;
  /** Where the provider may write files; removed after the attempt. */
  workDir: string;
  progress(update: ProgressUpdate): void;
  /** Saves the provider's own id for the work on the attempt (fenced), before waiting on it. */
  saveProviderJobId(id: string): Promise<void>;
  /** The caller's reference image from Storage, if the request names one. */
  referenceImage(): Promise<{ bytes: Buffer; mimeType: string } | null>;
}

export interface HostedResult {
  /** The provider's video, downloaded to `workDir`. */
  videoFile: string;
  /** Cut the video to this length when the provider made a longer one (chained extensions). */
  trimToSeconds?: number;
  costUsd: number;
}

export interface HostedProvider {
  run(run: HostedRun): Promise<HostedResult>;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
