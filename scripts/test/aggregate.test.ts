import { createJob, claimAttempt, finishAttempt, type Job } from '@vidgen/contract';
import { aggregateCosts, breakEven } from '../cost/aggregate';

const at = (s: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, s));

function finished(tier: 'animatediff' | 'veo', backend: 'comfyui' | 'replicate' | 'gemini', outcome: 'succeeded' | 'failed', costUsd: number): Job {
  let job = createJob({ ownerUid: 'u', request: { prompt: 'p', model: tier }, plan: [tier], now: at(0) }).job;
  const claimed = claimAttempt(job, { attemptIndex: 0, backend, workerId: 'w', leaseToken: 't', leaseMs: 60_000, now: at(1) });
  if (!claimed.ok) throw new Error('claim');
  job = claimed.job;
  const result = outcome === 'succeeded'
    ? { outcome, costUsd, output: { storagePath: 's', downloadUrl: 'd', mimeType: 'video/mp4' as const, width: 512, height: 512, frameCount: 24, fps: 8, durationSeconds: 3, sizeBytes: 10, posterPath: 'p', posterUrl: 'q' } }
    : { outcome, costUsd, error: { code: 'gpu_out_of_memory' as const, message: 'oom', retryable: false } };
  const done = finishAttempt(job, { leaseToken: 't', result, now: at(5) });
  if (!done.ok) throw new Error('finish');
  return done.job;
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
      { tier: 'animatediff', backend: 'comfyui', attempts: 1, videos: 0, videoSeconds: 0, costUsd: 0.01 },
      { tier: 'animatediff', backend: 'replicate', attempts: 2, videos: 2, videoSeconds: 6, costUsd: expect.closeTo(0.3, 10) },
      { tier: 'veo', backend: 'gemini', attempts: 1, videos: 1, videoSeconds: 3, costUsd: 3.2 },
    ]);
    expect(report.totalUsd).toBeCloseTo(3.51, 10);
    expect(report.replicateUsdPerVideo).toBeCloseTo(0.15, 10);
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
