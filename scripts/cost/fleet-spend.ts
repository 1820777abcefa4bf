import { FLEET_POD_PREFIX, type Job, type Tier } from '@vidgen/contract';
import type { PodBillingRecord } from '@vidgen/runpod';
import type { CostReport } from './aggregate';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Periods up to this long are read from RunPod's billing by the hour, longer ones by the day. */
const HOURLY_UP_TO_MS = 3 * DAY_MS;
/** Replicate's price of a GPU-tier video with the seed's rates, when neither the period nor a flag says otherwise. */
export const DEFAULT_REPLICATE_USD_PER_VIDEO = 0.17;

/** The period as RunPod bills it: whole UTC buckets covering the period asked for. */
export interface BillingWindow {
  bucketSize: 'hour' | 'day';
  start: Date;
  end: Date;
}

/**
 * RunPod snaps a billing query out to its bucket boundaries, so the window is snapped here first
 * and the whole report covers it: pod spend and the work done on the pods then cover the same time.
 */
export function billingWindow(since: Date, until: Date): BillingWindow {
  const bucketSize = until.getTime() - since.getTime() <= HOURLY_UP_TO_MS ? 'hour' : 'day';
  const size = bucketSize === 'hour' ? HOUR_MS : DAY_MS;
  return {
    bucketSize,
    start: new Date(Math.floor(since.getTime() / size) * size),
    end: new Date(Math.ceil(until.getTime() / size) * size),
  };
}

/** A pod whose name is known: listed by RunPod now, or recorded in `fleet/state` by the controller's last tick. */
export interface KnownPod {
  id: string;
  name: string;
  /** USD per hour as RunPod last showed it; 0 or null when it did not (a stopped pod shows 0). */
  usdPerHour: number | null;
}

/** One pod's spend in the window. */
export interface PodSpend {
  podId: string;
  /** null for a pod RunPod no longer lists and `fleet/state` does not name. */
  name: string | null;
  /** Everything billed: GPU, CPU and disk (a stopped pod's disk keeps costing). */
  usd: number;
  /** The GPU's part, which buys the pod's GPU time. */
  gpuUsd: number;
  usdPerHour: number | null;
}

/** The account's billed pods, sorted by whose they are. */
export interface PodAttribution {
  /** Named with the fleet prefix. */
  fleet: PodSpend[];
  /**
   * Billed, but neither listed (RunPod lists no terminated pod) nor in `fleet/state`: counted as
   * the fleet's, since the fleet terminates its pods by default, and shown apart.
   */
  unnamed: PodSpend[];
  /** Listed under another name: not the fleet's, not counted. */
  other: PodSpend[];
}

/** Sums the billing records per pod and sorts the pods by name into fleet, unnamed and other. */
export function attributePodSpend(records: PodBillingRecord[], known: KnownPod[]): PodAttribution {
  const usdByPod = new Map<string, { usd: number; gpuUsd: number }>();
  for (const record of records) {
    const sum = usdByPod.get(record.podId) ?? { usd: 0, gpuUsd: 0 };
    usdByPod.set(record.podId, { usd: sum.usd + record.totalAmount, gpuUsd: sum.gpuUsd + record.gpuAmount });
  }
  // The first name given wins (callers put RunPod's own list first); the first rate above 0 wins,
  // since a stopped pod shows 0 while an earlier record may still have its rate.
  const names = new Map<string, KnownPod>();
  for (const pod of known) {
    const seen = names.get(pod.id);
    names.set(pod.id, { id: pod.id, name: seen?.name ?? pod.name, usdPerHour: seen?.usdPerHour || pod.usdPerHour || null });
  }
  const attribution: PodAttribution = { fleet: [], unnamed: [], other: [] };
  for (const [podId, amounts] of [...usdByPod].sort(([a], [b]) => a.localeCompare(b))) {
    const pod = names.get(podId);
    const spend: PodSpend = { podId, name: pod?.name ?? null, ...amounts, usdPerHour: pod?.usdPerHour ?? null };
    if (!pod) attribution.unnamed.push(spend);
    else if (pod.name.startsWith(FLEET_POD_PREFIX)) attribution.fleet.push(spend);
    else attribution.other.push(spend);
  }
  return attribution;
}

/** What the fleet's workers did in the window, read from the job documents. */
export interface FleetWork {
  /** Time at least one attempt held a fleet pod's GPU, summed over the pods. */
  busySeconds: number;
  /** The rate the finished attempts on fleet pods were charged at (their worker's GPU_COST_PER_HOUR); null without any. */
  chargedUsdPerHour: number | null;
  /** Successful GPU-tier attempts on fleet pods. */
  videosByTier: Partial<Record<Tier, number>>;
}

interface Span {
  start: number;
  end: number;
}

/** Total length of the union of the spans: attempts that overlap on one pod hold its GPU once. */
function unionSeconds(spans: Span[]): number {
  let total = 0;
  let reach = -Infinity;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    const start = Math.max(span.start, reach);
    if (span.end > start) total += span.end - start;
    reach = Math.max(reach, span.end);
  }
  return total / 1000;
}

/**
 * Busy time and videos of the fleet's pods: the attempts run by a worker named like a fleet pod (a
 * fleet pod's worker registers under its pod's name), clipped to the window; an attempt still
 * running counts until `now`.
 */
export function fleetWork(jobs: Job[], window: { start: Date; end: Date }, now: Date): FleetWork {
  const from = window.start.getTime();
  const to = Math.min(window.end.getTime(), now.getTime());
  const spansByWorker = new Map<string, Span[]>();
  const videosByTier: FleetWork['videosByTier'] = {};
  let chargedUsd = 0;
  let chargedMs = 0;
  const hold = (workerId: string, startedAt: Date, endedAt: Date) => {
    const span = { start: Math.max(startedAt.getTime(), from), end: Math.min(endedAt.getTime(), to) };
    if (span.end > span.start) spansByWorker.set(workerId, [...(spansByWorker.get(workerId) ?? []), span]);
  };
  const onFleet = (attempt: { backend: string; workerId: string | null }): attempt is { backend: string; workerId: string } =>
    attempt.backend === 'comfyui' && attempt.workerId !== null && attempt.workerId.startsWith(FLEET_POD_PREFIX);
  for (const job of jobs) {
    for (const attempt of job.attempts) {
      if (!onFleet(attempt)) continue;
      if (attempt.startedAt) {
        hold(attempt.workerId, attempt.startedAt, attempt.endedAt);
        chargedUsd += attempt.costUsd;
        chargedMs += attempt.endedAt.getTime() - attempt.startedAt.getTime();
      }
      if (attempt.outcome === 'succeeded') videosByTier[attempt.tier] = (videosByTier[attempt.tier] ?? 0) + 1;
    }
    const current = job.attempt;
    if (current?.state === 'running' && onFleet(current) && current.startedAt) hold(current.workerId, current.startedAt, now);
  }
  return {
    busySeconds: [...spansByWorker.values()].reduce((sum, spans) => sum + unionSeconds(spans), 0),
    chargedUsdPerHour: chargedMs > 0 && chargedUsd > 0 ? chargedUsd / (chargedMs / HOUR_MS) : null,
    videosByTier,
  };
}

/** The price of one video of a tier on Replicate, and where it comes from. */
export interface ReplicatePrice {
  usdPerVideo: number;
  source: 'flag' | 'measured' | 'default';
}

/**
 * What a video of `tier` costs on Replicate: `--pay-per-run-usd` when given (as the break-even
 * uses it), else this period's own Replicate cost per video of that tier, else the seed's price.
 */
export function replicatePrice(report: CostReport, tier: Tier, payPerRunUsd: number | null): ReplicatePrice {
  if (payPerRunUsd !== null) return { usdPerVideo: payPerRunUsd, source: 'flag' };
  const row = report.rows.find((r) => r.tier === tier && r.backend === 'replicate');
  if (row && row.videos > 0) return { usdPerVideo: row.costUsd / row.videos, source: 'measured' };
  return { usdPerVideo: DEFAULT_REPLICATE_USD_PER_VIDEO, source: 'default' };
}

/** The fleet's spend in the books. */
export interface FleetSpend {
  window: BillingWindow;
  pods: PodAttribution;
  /** Billed spend of the fleet's pods, unnamed ones included. */
  paidUsd: number;
  /** Pod hours bought: each pod's GPU spend over its hourly rate, or over {@link estimateUsdPerHour} where RunPod no longer shows it. */
  paidHours: number | null;
  /** Hours of pods whose rate is estimated. */
  estimatedHours: number;
  /** The rate assumed for pods without one: the other pods' average, or what the fleet's attempts were charged by the hour. */
  estimateUsdPerHour: number | null;
  estimateFrom: 'pods' | 'attempts' | null;
  busyHours: number;
  /** Busy over paid hours; null without paid hours. */
  utilisation: number | null;
  videos: number;
  /** Paid spend over the videos made on the pods. */
  usdPerVideo: number | null;
  /** The same videos, tier by tier, at Replicate's price. */
  replicate: Array<{ tier: Tier; videos: number } & ReplicatePrice>;
  replicateUsd: number;
}

export function fleetSpend(args: {
  window: BillingWindow;
  records: PodBillingRecord[];
  known: KnownPod[];
  jobs: Job[];
  report: CostReport;
  payPerRunUsd: number | null;
  now: Date;
}): FleetSpend {
  const pods = attributePodSpend(args.records, args.known);
  const work = fleetWork(args.jobs, args.window, args.now);
  const ours = [...pods.fleet, ...pods.unnamed];
  const paidUsd = ours.reduce((sum, pod) => sum + pod.usd, 0);
  const rated = ours.filter((pod) => pod.usdPerHour !== null);
  const ratedGpuUsd = rated.reduce((sum, pod) => sum + pod.gpuUsd, 0);
  const ratedHours = rated.reduce((sum, pod) => sum + pod.gpuUsd / pod.usdPerHour!, 0);
  const estimateUsdPerHour = ratedHours > 0 ? ratedGpuUsd / ratedHours : work.chargedUsdPerHour;
  const unratedGpuUsd = ours.reduce((sum, pod) => sum + pod.gpuUsd, 0) - ratedGpuUsd;
  const estimatedHours = unratedGpuUsd > 0 && estimateUsdPerHour ? unratedGpuUsd / estimateUsdPerHour : 0;
  const paidHours = unratedGpuUsd > 0 && !estimateUsdPerHour ? null : ratedHours + estimatedHours;
  const busyHours = work.busySeconds / 3600;
  const replicate = (Object.entries(work.videosByTier) as Array<[Tier, number]>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tier, videos]) => ({ tier, videos, ...replicatePrice(args.report, tier, args.payPerRunUsd) }));
  const videos = replicate.reduce((sum, r) => sum + r.videos, 0);
  return {
    window: args.window,
    pods,
    paidUsd,
    paidHours,
    estimatedHours,
    estimateUsdPerHour,
    estimateFrom: ratedHours > 0 ? 'pods' : work.chargedUsdPerHour !== null ? 'attempts' : null,
    busyHours,
    utilisation: paidHours ? busyHours / paidHours : null,
    videos,
    usdPerVideo: videos > 0 ? paidUsd / videos : null,
    replicate,
    replicateUsd: replicate.reduce((sum, r) => sum + r.videos * r.usdPerVideo, 0),
  };
}

const BAR_WIDTH = 40;

/** A bar of `share` (0 to 1) of the chart's width. */
function bar(share: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
}

const usd = (value: number) => `$${value.toFixed(4)}`;
const podCount = (n: number) => `${n} pod${n === 1 ? '' : 's'}`;

/** Hours as hours, or as minutes or seconds when under one, so that a short period still reads. */
function hours(value: number): string {
  if (value >= 1 || value === 0) return `${value.toFixed(2)} h`;
  if (value >= 1 / 60) return `${(value * 60).toFixed(1)} min`;
  return `${(value * 3600).toFixed(1)} s`;
}
const percent = (value: number) => `${Math.round(value * 100)}%`;

/** The fleet's lines of `npm run cost-report`, with a chart of busy against idle paid hours. */
export function formatFleetSpend(spend: FleetSpend): string[] {
  const { window, pods } = spend;
  const out: string[] = [];
  const count = pods.fleet.length + pods.unnamed.length;
  out.push(`Fleet pods, from RunPod's billing by the ${window.bucketSize} (${window.start.toISOString()} → ${window.end.toISOString()}):`);
  const paidHours = spend.paidHours === null ? 'unknown pod hours (RunPod shows no rate, and no attempts to take one from)' : `${hours(spend.paidHours)} of pods`;
  out.push(`  paid         ${usd(spend.paidUsd)} for ${paidHours}, ${podCount(count)}`);
  if (spend.estimatedHours > 0 && spend.estimateUsdPerHour) {
    const from = spend.estimateFrom === 'pods' ? "the other pods' average" : "what the fleet's attempts were charged";
    out.push(`               ${hours(spend.estimatedHours)} of it estimated at $${spend.estimateUsdPerHour.toFixed(2)}/h (${from}): RunPod shows no rate for a stopped or terminated pod`);
  }
  out.push(`  busy         ${hours(spend.busyHours)} of GPU time held by attempts on fleet workers`);
  if (spend.paidHours !== null && spend.paidHours > 0 && spend.utilisation !== null) {
    const idle = Math.max(0, spend.paidHours - spend.busyHours);
    out.push(`  utilisation  ${percent(spend.utilisation)} of the paid pod time`);
    out.push(`    busy  ${bar(spend.busyHours / spend.paidHours)}  ${hours(spend.busyHours)}`);
    out.push(`    idle  ${bar(idle / spend.paidHours)}  ${hours(idle)}`);
  }
  if (spend.videos === 0) {
    out.push('  videos       none made on the pods');
  } else {
    const byTier = spend.replicate.map((r) => `${r.tier} ${r.videos}`).join(', ');
    out.push(`  videos       ${spend.videos} made on the pods (${byTier}): ${usd(spend.usdPerVideo!)} a video`);
    const prices = spend.replicate.map((r) => `${r.tier} ${r.videos} × ${usd(r.usdPerVideo)} ${r.source}`).join(', ');
    const difference = spend.replicateUsd - spend.paidUsd;
    out.push(`  on Replicate ${usd(spend.replicateUsd)} for the same videos (${prices}): the pods cost ${usd(Math.abs(difference))} ${difference >= 0 ? 'less' : 'more'}`);
  }
  if (pods.unnamed.length > 0) {
    const unnamedUsd = pods.unnamed.reduce((sum, pod) => sum + pod.usd, 0);
    out.push(`  counted as the fleet's: ${podCount(pods.unnamed.length)} RunPod no longer lists and fleet/state does not name, ${usd(unnamedUsd)} (${pods.unnamed.map((pod) => pod.podId).join(', ')})`);
  }
  if (pods.other.length > 0) {
    const otherUsd = pods.other.reduce((sum, pod) => sum + pod.usd, 0);
    out.push(`  not counted: ${podCount(pods.other.length)} of the account named otherwise, ${usd(otherUsd)} (${pods.other.map((pod) => pod.name).join(', ')})`);
  }
  return out;
}
