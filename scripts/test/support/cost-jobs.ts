import { claimAttempt, createJob, finishAttempt, type Backend, type Job, type Tier, type TransitionResult } from '@vidgen/contract';

const OUTPUT = { storagePath: 's', downloadUrl: 'd', mimeType: 'video/mp4' as const, width: 512, height: 512, frameCount: 24, fps: 8, durationSeconds: 3, sizeBytes: 10, posterPath: 'p', posterUrl: 'q' };

function ok(result: TransitionResult): Job {
  if (!result.ok) throw new Error(result.refusal);
  return result.job;
}

/** A job whose one attempt `workerId` claimed at `startedAt`; still running unless `end` is given. */
export function attemptJob(args: {
  tier: Tier;
  backend: Backend;
  workerId: string;
  startedAt: Date;
  end?: { at: Date; outcome: 'succeeded' | 'failed'; costUsd: number };
}): Job {
  const job = createJob({ ownerUid: 'u', request: { prompt: 'p', model: args.tier }, plan: [args.tier], now: args.startedAt }).job;
  const claimed = ok(claimAttempt(job, { attemptIndex: 0, backend: args.backend, workerId: args.workerId, leaseToken: 't', leaseMs: 3_600_000, now: args.startedAt }));
  if (!args.end) return claimed;
  const { outcome, costUsd, at } = args.end;
  const result = outcome === 'succeeded'
    ? { outcome, costUsd, output: OUTPUT }
    : { outcome, costUsd, error: { code: 'gpu_out_of_memory' as const, message: 'oom', retryable: false } };
  return ok(finishAttempt(claimed, { leaseToken: 't', result, now: at }));
}
