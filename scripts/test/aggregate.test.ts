import { cancelJob, claimAttempt, createJob, expireLease, finishAttempt, recordAttemptCost, recordProviderJob, recordStrayProviderJob, settleAttemptCost, type Backend, type Job, type Tier } from '@vidgen/contract';
import { aggregateCosts, breakEven, formatCostReport } from '../cost/aggregate';

const at = (s: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, s));
const OUTPUT = { storagePath: 's', downloadUrl: 'd', mimeType: 'video/mp4' as const, width: 512, height: 512, frameCount: 24, fps: 8, durationSeconds: 3, sizeBytes: 10, posterPath: 'p', posterUrl: 'q' };

function ok(result: ReturnType<typeof finishAttempt>): Job {
  if (!result.ok) throw new Error(result.refusal);
  return result.job;
}

function running(tier: Tier, backend: Backend, usdPerHour?: number): Job {
  const job = createJob({ ownerUid: 'u', request: { prompt: 'p', model: tier }, plan: [tier], now: at(0) }).job;
  return ok(claimAttempt(job, { attemptIndex: 0, backend, workerId: 'w', leaseToken: 't', leaseMs: 60_000, now: at(1), usdPerHour }));
}

function finished(tier: Tier, backend: Backend, outcome: 'succeeded' | 'failed', costUsd: number): Job {
  const job = running(tier, backend);
  const result = outcome === 'succeeded'
    ? { outcome, costUsd, output: OUTPUT }
    : { outcome, costUsd, error: { code: 'gpu_out_of_memory' as const, message: 'oom', retryable: false } };
  return ok(finishAttempt(job, { leaseToken: 't', result, now: at(5) }));
}

describe('aggregateCosts', () => {
  it('sums attempts, videos, seconds and cost by tier and backend', () => {
    const report = aggregateCosts([
      finished('animatediff', 'replicate', 'succeeded', 0.2),
      finished('animatediff', 'replicate', 'succeeded', 0.1),
      finished('animatediff', 'comfyui', 'failed', 0.01),
      finished('veo', 'gemini', 'succeeded', 3.2),
    ]);
    expect(report).toMatchObject({ jobs: 4, succeeded: 3, failed: 1, cancelled: 0 });
    expect(report.rows).toEqual([
      { tier: 'animatediff', backend: 'comfyui', attempts: 1, videos: 0, videoSeconds: 0, costUsd: 0.01, noVideoUsd: 0.01 },
      { tier: 'animatediff', backend: 'replicate', attempts: 2, videos: 2, videoSeconds: 6, costUsd: expect.closeTo(0.3, 10), noVideoUsd: 0 },
      { tier: 'veo', backend: 'gemini', attempts: 1, videos: 1, videoSeconds: 3, costUsd: 3.2, noVideoUsd: 0 },
    ]);
    expect(report.totalUsd).toBeCloseTo(3.51, 10);
    expect(report.replicateUsdPerVideo).toBeCloseTo(0.15, 10);
  });

  it('counts every outcome: cancelled, failed and handed-back work, and a charge read later; the total is the sum of job costs', () => {
    // A GPU attempt cancelled after 90 s at $0.44/h.
    const gpuCancelled = ok(cancelJob(running('animatediff', 'comfyui', 0.44), { now: at(91) }));
    // Two Veo segments made, then the job was cancelled.
    let veo = running('veo', 'gemini');
    veo = ok(recordAttemptCost(veo, { leaseToken: 't', costUsd: 6, now: at(60) }));
    const veoCancelled = ok(cancelJob(veo, { now: at(61) }));
    // A Replicate prediction whose runner died: handed back, its charge read by the watchdog afterwards.
    let replicate = running('animatediff', 'replicate');
    replicate = ok(recordProviderJob(replicate, { leaseToken: 't', providerJobId: 'pred-1', now: at(2) }));
    replicate = ok(expireLease(replicate, { attemptIndex: 0, now: at(200) }));
    const pending = replicate;
    replicate = ok(settleAttemptCost(replicate, { attemptIndex: 0, providerJobId: 'pred-1', costUsd: 0.05, now: at(210) }));
    const jobs = [gpuCancelled, veoCancelled, replicate, finished('veo', 'gemini', 'failed', 0), finished('animatediff', 'comfyui', 'succeeded', 0.004)];

    const report = aggregateCosts(jobs);
    expect(report.totalUsd).toBeCloseTo(jobs.reduce((sum, job) => sum + job.costUsd, 0), 10);
    expect(report.attemptsUsd).toBeCloseTo(report.totalUsd, 10);
    expect(report.byState.cancelled).toEqual({ jobs: 2, costUsd: expect.closeTo(0.011 + 6, 6) });
    expect(report.byState.queued).toEqual({ jobs: 1, costUsd: 0.05 });
    expect(report.notSucceededUsd).toBeCloseTo(6.011, 6);
    expect(report.byState.succeeded).toEqual({ jobs: 1, costUsd: 0.004 });
    expect(report.costPendingJobs).toBe(0);
    expect(aggregateCosts([pending]).costPendingJobs).toBe(1);

    const lines = formatCostReport(report, { since: at(0), until: at(3600) });
    expect(lines).toContain('Spent on jobs that did not succeed:  $6.0110 (1 failed $0.0000, 2 cancelled $6.0110)');
    expect(lines).toContain('Spent so far on jobs still running:  $0.0500 (1 jobs)');
    expect(lines.find((line) => line.startsWith('total'))).toMatch(/6\.0650$/);
    expect(lines.some((line) => line.startsWith('Warning'))).toBe(false);
  });
  it('counts a prediction whose id its runner could not save (the job was cancelled meanwhile) once its charge is read', () => {
    const claimed = running('animatediff', 'replicate');
    let job = ok(cancelJob(claimed, { now: at(3) }));
    job = ok(recordStrayProviderJob(job, { attempt: claimed.attempt!, providerJobId: 'pred-stray', now: at(4) }));
    expect(aggregateCosts([job]).costPendingJobs).toBe(1);
    job = ok(settleAttemptCost(job, { attemptIndex: 0, providerJobId: 'pred-stray', costUsd: 0.02, now: at(60) }));

    const report = aggregateCosts([job]);
    expect(report.totalUsd).toBeCloseTo(0.02, 10);
    expect(report.attemptsUsd).toBeCloseTo(0.02, 10);
    expect(report.byState.cancelled).toEqual({ jobs: 1, costUsd: 0.02 });
    expect(report.rows).toEqual([{ tier: 'animatediff', backend: 'replicate', attempts: 2, videos: 0, videoSeconds: 0, costUsd: 0.02, noVideoUsd: 0.02 }]);
    expect(report.costPendingJobs).toBe(0);
  });
});

describe('breakEven', () => {
  it('matches the seed figure: a $320 pod against $0.17 a video breaks even near 1,900 videos a month', () => {
    const even = breakEven(aggregateCosts([]), { podUsdPerMonth: 320, payPerRunUsdPerVideo: 0.17, periodDays: 30 });
    expect(Math.round(even.videosPerMonth)).toBe(1882);
    expect(even.cheaper).toBe('pay-per-run');
  });

  it('projects the period to a month and says when the pod wins', () => {
    const jobs = Array.from({ length: 100 }, () => finished('animatediff', 'comfyui', 'succeeded', 0.01));
    const even = breakEven(aggregateCosts(jobs), { podUsdPerMonth: 320, payPerRunUsdPerVideo: 0.17, periodDays: 1 });
    expect(even.projectedVideosPerMonth).toBe(3000);
    expect(even.cheaper).toBe('pod');
  });
});
