import type { Attempt, CreateVideoJobRequest, Segment, TierParams } from '@vidgen/contract';
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
  /** Records a paid segment of a chained run on the attempt (fenced) and returns it as stored. */
  recordSegment(segment: Omit<Segment, 'completedAt'>): Promise<Segment>;
  /** When this invocation started, for a chained run to hand on before its deadline. */
  invocationStartedAtMs: number;
  /**
   * Hands the attempt, with what it recorded, to the next task invocation (fenced) and stops this
   * run: always throws.
   */
  handOff(): Promise<never>;
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
    const stopped = (): Error => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal?.aborted) return reject(stopped());
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(stopped());
    }, { once: true });
  });
