import type { Attempt, CreateVideoJobRequest, TierParams } from '@vidgen/contract';
import type { Produced, RunContext } from '@vidgen/runner';

/**
 * What a hosted provider (Veo, Replicate) gets to make one attempt's video: the run's context (abort
 * signal, work folder, progress, saving its own job id) and the request.
 */
export interface HostedRun extends RunContext {
  jobId: string;
  attempt: Attempt;
  request: CreateVideoJobRequest;
  params: TierParams;
  /** The caller's reference image from Storage, if the request names one. */
  referenceImage(): Promise<{ bytes: Buffer; mimeType: string } | null>;
}

/** The provider's video, downloaded to the run's folder, and what the provider charged. */
export interface HostedResult extends Produced {
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
