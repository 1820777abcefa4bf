import type { PodBillingRecord } from '@vidgen/runpod';
import { aggregateCosts } from '../cost/aggregate';
import { attributePodSpend, billingWindow, fleetSpend, fleetWork, formatFleetSpend, replicatePrice } from '../cost/fleet-spend';
import { attemptJob } from './support/cost-jobs';

const at = (h: number, m = 0, s = 0) => new Date(Date.UTC(2026, 11, 1, h, m, s));
const record = (podId: string, hour: number, gpuAmount: number, diskAmount = 0): PodBillingRecord => ({
  podId, startTime: at(hour).toISOString(), endTime: at(hour + 1).toISOString(), totalAmount: gpuAmount + diskAmount, gpuAmount, cpuAmount: 0, diskAmount,
});
const gpu = (workerId: string, from: Date, to: Date, outcome: 'succeeded' | 'failed' = 'succeeded', tier: 'animatediff' | 'svd' = 'animatediff') =>
  attemptJob({ tier, backend: 'comfyui', workerId, startedAt: from, end: { at: to, outcome, costUsd: 0.01 } });

describe('billingWindow', () => {
  it('snaps a period of up to 3 days out to whole UTC hours, a longer one to whole days', () => {
    expect(billingWindow(at(9, 20), at(15, 5))).toEqual({ bucketSize: 'hour', start: at(9), end: at(16) });
    expect(billingWindow(at(9), at(16))).toEqual({ bucketSize: 'hour', start: at(9), end: at(16) });
    expect(billingWindow(new Date(Date.UTC(2026, 10, 1, 13, 7)), at(13, 7))).toEqual({
      bucketSize: 'day', start: new Date(Date.UTC(2026, 10, 1)), end: new Date(Date.UTC(2026, 11, 2)),
    });
  });
});

describe('attributePodSpend', () => {
  it("sums each pod's buckets and sorts pods into fleet, unnamed and other by name", () => {
    const pods = attributePodSpend(
      [record('p-fleet', 9, 0.44), record('p-fleet', 10, 0.22), record('p-note', 9, 1), record('p-gone', 10, 0.3), record('p-recorded', 9, 0.86)],
      [
        { id: 'p-fleet', name: 'vidgen-fleet-a', usdPerHour: 0 },
        { id: 'p-note', name: 'notebook', usdPerHour: 1 },
        // From fleet/state: a terminated pod, and the stopped one's rate from when it ran.
        { id: 'p-recorded', name: 'vidgen-fleet-b', usdPerHour: 0.86 },
        { id: 'p-fleet', name: 'renamed', usdPerHour: 0.44 },
      ],
    );
    expect(pods.fleet).toEqual([
      { podId: 'p-fleet', name: 'vidgen-fleet-a', usd: expect.closeTo(0.66, 10), gpuUsd: expect.closeTo(0.66, 10), usdPerHour: 0.44 },
      { podId: 'p-recorded', name: 'vidgen-fleet-b', usd: 0.86, gpuUsd: 0.86, usdPerHour: 0.86 },
    ]);
    expect(pods.unnamed).toEqual([{ podId: 'p-gone', name: null, usd: 0.3, gpuUsd: 0.3, usdPerHour: null }]);
    expect(pods.other).toEqual([{ podId: 'p-note', name: 'notebook', usd: 1, gpuUsd: 1, usdPerHour: 1 }]);
  });
});

describe('fleetWork', () => {
  it("counts the time a fleet pod's GPU was held once however many attempts overlapped, within the window", () => {
    const window = { start: at(9), end: at(12) };
    const work = fleetWork(
      [
        gpu('vidgen-fleet-a', at(9, 0), at(9, 30)),
        gpu('vidgen-fleet-a', at(9, 20), at(9, 40), 'failed'), // overlaps the first: 10 more minutes
        gpu('vidgen-fleet-b', at(9, 10), at(9, 40), 'succeeded', 'svd'), // another pod: counted apart
        gpu('vidgen-fleet-b', at(8, 50), at(9, 5)), // began before the window: 5 minutes in it
        gpu('fixed-pod-1', at(9), at(11)), // not a fleet worker
        attemptJob({ tier: 'animatediff', backend: 'replicate', workerId: 'vidgen-fleet-a', startedAt: at(10), end: { at: at(11), outcome: 'succeeded', costUsd: 0.2 } }),
        attemptJob({ tier: 'svd', backend: 'comfyui', workerId: 'vidgen-fleet-c', startedAt: at(11, 50) }), // still running
      ],
      window,
      at(12, 30),
    );
    expect(work.busySeconds).toBe((40 + 30 + 5 + 10) * 60);
    expect(work.videosByTier).toEqual({ animatediff: 2, svd: 1 });
    // $0.01 for each finished fleet attempt over their 30 + 20 + 30 + 15 minutes.
    expect(work.chargedUsdPerHour).toBeCloseTo(0.04 / (95 / 60), 10);
  });
});

describe('replicatePrice', () => {
  it("takes --pay-per-run-usd, else the period's own Replicate cost per video of the tier, else the seed's $0.17", () => {
    const report = aggregateCosts([
      attemptJob({ tier: 'animatediff', backend: 'replicate', workerId: 'r', startedAt: at(9), end: { at: at(9, 1), outcome: 'succeeded', costUsd: 0.2 } }),
      attemptJob({ tier: 'animatediff', backend: 'replicate', workerId: 'r', startedAt: at(9), end: { at: at(9, 1), outcome: 'failed', costUsd: 0.1 } }),
    ]);
    expect(replicatePrice(report, 'animatediff', null)).toEqual({ usdPerVideo: expect.closeTo(0.3, 10), source: 'measured' });
    expect(replicatePrice(report, 'svd', null)).toEqual({ usdPerVideo: 0.17, source: 'default' });
    expect(replicatePrice(report, 'animatediff', 0.25)).toEqual({ usdPerVideo: 0.25, source: 'flag' });
  });
});

describe('fleetSpend', () => {
  const window = billingWindow(at(9), at(13));
  const jobs = [
    gpu('vidgen-fleet-a', at(9), at(9, 30)),
    gpu('vidgen-fleet-a', at(10), at(10, 30), 'succeeded', 'svd'),
    gpu('vidgen-fleet-a', at(11), at(11, 30), 'failed'),
    attemptJob({ tier: 'animatediff', backend: 'replicate', workerId: 'r', startedAt: at(12), end: { at: at(12, 1), outcome: 'succeeded', costUsd: 0.25 } }),
  ];

  it('sets busy GPU time against paid pod hours and prices the same videos on Replicate', () => {
    const spend = fleetSpend({
      window,
      // Pod a: 4 h at $0.50, then stopped, its disk billed $0.10; a terminated pod without a name or rate: $1 more.
      records: [0, 1, 2, 3].map((i) => record('p-a', 9 + i, 0.5)).concat(record('p-a', 13, 0, 0.1), record('p-gone', 9, 1)),
      known: [{ id: 'p-a', name: 'vidgen-fleet-a', usdPerHour: 0.5 }],
      jobs,
      report: aggregateCosts(jobs),
      payPerRunUsd: null,
      now: at(14),
    });
    expect(spend).toMatchObject({ paidUsd: 3.1, estimatedHours: 2, estimateUsdPerHour: 0.5, estimateFrom: 'pods', paidHours: 6, busyHours: 1.5, utilisation: 0.25, videos: 2, usdPerVideo: 1.55 });
    expect(spend.replicate).toEqual([
      { tier: 'animatediff', videos: 1, usdPerVideo: 0.25, source: 'measured' },
      { tier: 'svd', videos: 1, usdPerVideo: 0.17, source: 'default' },
    ]);
    expect(spend.replicateUsd).toBeCloseTo(0.42, 10);

    const lines = formatFleetSpend(spend);
    expect(lines).toContain('  utilisation  25% of the paid pod time');
    expect(lines).toContain(`    busy  ${'█'.repeat(10)}${'░'.repeat(30)}  1.50 h`);
    expect(lines).toContain(`    idle  ${'█'.repeat(30)}${'░'.repeat(10)}  4.50 h`);
    expect(lines).toContain('  videos       2 made on the pods (animatediff 1, svd 1): $1.5500 a video');
    expect(lines).toContain('  on Replicate $0.4200 for the same videos (animatediff 1 × $0.2500 measured, svd 1 × $0.1700 default): the pods cost $2.6800 more');
    expect(lines).toContain('  paid         $3.1000 for 6.00 h of pods, 2 pods');
    expect(lines).toContain("               2.00 h of it estimated at $0.50/h (the other pods' average): RunPod shows no rate for a stopped or terminated pod");
    expect(lines.find((line) => line.startsWith("  counted as the fleet's"))).toContain('1 pod RunPod no longer lists and fleet/state does not name, $1.0000 (p-gone)');
  });

  it("estimates hours at the rate the fleet's attempts were charged when RunPod shows no pod's rate, and says when it cannot", () => {
    const args = { window, jobs, report: aggregateCosts(jobs), payPerRunUsd: null, now: at(14), known: [] };
    // Three finished attempts of 30 minutes at $0.01 each: $0.02 an hour.
    const estimated = fleetSpend({ ...args, records: [record('p-gone', 9, 0.06)] });
    expect(estimated).toMatchObject({ estimateFrom: 'attempts', paidHours: expect.closeTo(3, 10), utilisation: expect.closeTo(0.5, 10) });

    const idle = fleetSpend({ ...args, jobs: [], records: [record('p-gone', 9, 0.06)] });
    expect(idle).toMatchObject({ paidUsd: 0.06, paidHours: null, utilisation: null, videos: 0, usdPerVideo: null });
    const lines = formatFleetSpend(idle);
    expect(lines.find((line) => line.startsWith('  paid'))).toContain('unknown pod hours');
    expect(lines.some((line) => line.includes('utilisation'))).toBe(false);
    expect(lines).toContain('  videos       none made on the pods');
  });
});
