import type { Backend, Job, JobState, Tier } from '@vidgen/contract';

export interface CostRow {
  tier: Tier;
  backend: Backend;
  attempts: number;
  videos: number;
  videoSeconds: number;
  costUsd: number;
  /** What this row's attempts that made no video cost (failed, cancelled, handed back). */
  noVideoUsd: number;
}

/** Jobs of one end state and what they cost. */
export interface StateTotal {
  jobs: number;
  costUsd: number;
}

export interface CostReport {
  jobs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  rows: CostRow[];
  /** The sum of the jobs' `costUsd`, which is the sum of their attempts' costs. */
  totalUsd: number;
  /** By the job's state: what succeeded jobs cost, and what was spent on jobs that did not succeed. */
  byState: Record<JobState, StateTotal>;
  /** Money spent on jobs that ended failed or cancelled. */
  notSucceededUsd: number;
  /** Jobs whose cost is still being read from a provider (Replicate's charge for a cancelled prediction). */
  costPendingJobs: number;
  /** The attempts' costs summed apart from the jobs', for the check that the two agree. */
  attemptsUsd: number;
  /** Average Replicate cost of a finished video, when any ran there. */
  replicateUsdPerVideo: number | null;
}

const STATES: JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/**
 * Sums the jobs of a period: by tier and backend (every attempt, whatever its outcome, so failed,
 * cancelled and abandoned work is counted), and by the jobs' end state. The total is the sum of the
 * jobs' costs.
 */
export function aggregateCosts(jobs: Job[]): CostReport {
  const rows = new Map<string, CostRow>();
  const byState = Object.fromEntries(STATES.map((state) => [state, { jobs: 0, costUsd: 0 }])) as Record<JobState, StateTotal>;
  let attemptsUsd = 0;
  for (const job of jobs) {
    byState[job.state].jobs += 1;
    byState[job.state].costUsd += job.costUsd;
    for (const attempt of job.attempts) {
      const key = `${attempt.tier}/${attempt.backend}`;
      const row = rows.get(key) ?? { tier: attempt.tier, backend: attempt.backend, attempts: 0, videos: 0, videoSeconds: 0, costUsd: 0, noVideoUsd: 0 };
      row.attempts += 1;
      row.costUsd += attempt.costUsd;
      attemptsUsd += attempt.costUsd;
      if (attempt.outcome === 'succeeded') {
        row.videos += 1;
        row.videoSeconds += job.output?.durationSeconds ?? 0;
      } else {
        row.noVideoUsd += attempt.costUsd;
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
    succeeded: byState.succeeded.jobs,
    failed: byState.failed.jobs,
    cancelled: byState.cancelled.jobs,
    rows: sorted,
    totalUsd: jobs.reduce((n, job) => n + job.costUsd, 0),
    byState,
    notSucceededUsd: byState.failed.costUsd + byState.cancelled.costUsd,
    costPendingJobs: jobs.filter((job) => job.costPending).length,
    attemptsUsd,
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

/** The report's table and totals as printed by `npm run cost-report`. */
export function formatCostReport(report: CostReport, period: { since: Date; until: Date }): string[] {
  const usd = (value: number) => value.toFixed(4).padStart(12);
  const out: string[] = [];
  out.push(`Jobs ${period.since.toISOString()} → ${period.until.toISOString()}: ${report.jobs} (${report.succeeded} succeeded, ${report.failed} failed, ${report.cancelled} cancelled)`);
  out.push('');
  out.push(`${'tier'.padEnd(12)}${'backend'.padEnd(11)}${'attempts'.padStart(9)}${'videos'.padStart(8)}${'video s'.padStart(10)}${'cost USD'.padStart(12)}${'no video'.padStart(12)}`);
  for (const r of report.rows) {
    out.push(`${r.tier.padEnd(12)}${r.backend.padEnd(11)}${String(r.attempts).padStart(9)}${String(r.videos).padStart(8)}${r.videoSeconds.toFixed(1).padStart(10)}${usd(r.costUsd)}${usd(r.noVideoUsd)}`);
  }
  out.push(`${'total'.padEnd(12)}${''.padEnd(11)}${''.padStart(9)}${''.padStart(8)}${''.padStart(10)}${usd(report.totalUsd)}`);
  out.push('');
  out.push(`Spent on jobs that succeeded:        $${report.byState.succeeded.costUsd.toFixed(4)} (${report.byState.succeeded.jobs} jobs)`);
  out.push(`Spent on jobs that did not succeed:  $${report.notSucceededUsd.toFixed(4)} (${report.failed} failed $${report.byState.failed.costUsd.toFixed(4)}, ${report.cancelled} cancelled $${report.byState.cancelled.costUsd.toFixed(4)})`);
  const open = report.byState.queued.jobs + report.byState.running.jobs;
  if (open > 0) out.push(`Spent so far on jobs still running:  $${(report.byState.queued.costUsd + report.byState.running.costUsd).toFixed(4)} (${open} jobs)`);
  if (report.costPendingJobs > 0) out.push(`${report.costPendingJobs} jobs still wait for Replicate's charge for a cancelled or abandoned prediction (the watchdog reads it within minutes).`);
  if (Math.abs(report.attemptsUsd - report.totalUsd) > 1e-6) {
    out.push(`Warning: the attempts sum to $${report.attemptsUsd.toFixed(4)}, the jobs to $${report.totalUsd.toFixed(4)}: some job documents disagree with their attempts.`);
  }
  return out;
}
