import type { Backend, Job, Tier } from '@vidgen/contract';

export interface CostRow {
  tier: Tier;
  backend: Backend;
  attempts: number;
  videos: number;
  videoSeconds: number;
  costUsd: number;
}

export interface CostReport {
  jobs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  rows: CostRow[];
  totalUsd: number;
  /** Average Replicate cost of a finished video, when any ran there. */
  replicateUsdPerVideo: number | null;
}

/** Sums every attempt of the jobs by tier and backend: an operator's view of volume and spend. */
export function aggregateCosts(jobs: Job[]): CostReport {
  const rows = new Map<string, CostRow>();
  for (const job of jobs) {
    for (const attempt of job.attempts) {
      const key = `${attempt.tier}/${attempt.backend}`;
      const row = rows.get(key) ?? { tier: attempt.tier, backend: attempt.backend, attempts: 0, videos: 0, videoSeconds: 0, costUsd: 0 };
      row.attempts += 1;
      row.costUsd += attempt.costUsd;
      if (attempt.outcome === 'succeeded') {
        row.videos += 1;
        row.videoSeconds += job.output?.durationSeconds ?? 0;
      }
      rows.set(key, row);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.tier.localeCompare(b.tier) || a.backend.localeCompare(b.backend));
  const replicate = sorted.filter((r) => r.backend === 'replicate');
  const replicateVideos = replicate.reduce((n, r) => n + r.videos, 0);
  const replicateUsd = replicate.reduce((n, r) => n + r.costUsd, 0);
  return {
    jobs: jobs.length,
    succeeded: jobs.filter((j) => j.state === 'succeeded').length,
    failed: jobs.filter((j) => j.state === 'failed').length,
    cancelled: jobs.filter((j) => j.state === 'cancelled').length,
    rows: sorted,
    totalUsd: sorted.reduce((n, r) => n + r.costUsd, 0),
    replicateUsdPerVideo: replicateVideos > 0 ? replicateUsd / replicateVideos : null,
  };
}

export interface BreakEven {
  /** Videos a month at which a fixed-price pod costs the same as paying per run. */
  videosPerMonth: number;
  /** This period's GPU-tier videos, scaled to 30 days. */
  projectedVideosPerMonth: number;
  cheaper: 'pod' | 'pay-per-run';
}

/**
 * Fixed pod against pay-per-run for the GPU tiers (AnimateDiff and SVD): the pod wins once the
 * monthly volume passes its price divided by the per-video price.
 */
export function breakEven(report: CostReport, args: { podUsdPerMonth: number; payPerRunUsdPerVideo: number; periodDays: number }): BreakEven {
  const gpuVideos = report.rows.filter((r) => r.tier !== 'veo').reduce((n, r) => n + r.videos, 0);
  const videosPerMonth = args.podUsdPerMonth / args.payPerRunUsdPerVideo;
  const projectedVideosPerMonth = args.periodDays > 0 ? (gpuVideos * 30) / args.periodDays : 0;
  return { videosPerMonth, projectedVideosPerMonth, cheaper: projectedVideosPerMonth >= videosPerMonth ? 'pod' : 'pay-per-run' };
}
