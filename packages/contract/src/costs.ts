import type { BackendPolicy } from './backends';
import { MAX_TRIES_PER_TIER } from './transitions';
import { resolveTierParams, segmentPlan, TIER_SPECS, type AspectRatio, type Backend, type Tier } from './tiers';

/**
 * Money in the ledgers is counted in whole micro-dollars (1 USD = 1,000,000): Firestore's
 * increments then add exactly, so a reservation released is exactly the reservation made, and a
 * budget check never turns on a rounding error.
 */
export const MICRO_USD_PER_USD = 1_000_000;

export function toMicroUsd(usd: number): number {
  return Math.round(usd * MICRO_USD_PER_USD);
}

export function toUsd(microUsd: number): number {
  return microUsd / MICRO_USD_PER_USD;
}

/** Rounds up to a whole micro-dollar, ignoring the float noise below a thousandth of one (0.4 × 8 is not always 3.2). */
function ceilMicroUsd(usd: number): number {
  return Math.ceil(Math.round(usd * MICRO_USD_PER_USD * 1000) / 1000);
}

/** "$10.92", "$0.0035": cents, or four significant digits below a cent. */
export function formatUsd(usd: number): string {
  if (usd === 0 || Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(2)}`;
}

/** What each backend can cost for one try, as this deployment is configured (the functions' parameters). */
export interface CostModel {
  /** VEO_COST_PER_SECOND: per second of video Veo makes (every segment of an extended clip). */
  veoUsdPerSecond: number;
  /** Per second of prediction time, per tier (REPLICATE_ANIMATEDIFF_COST_PER_SECOND, REPLICATE_SVD_COST_PER_SECOND). */
  replicateUsdPerSecond: Partial<Record<Tier, number>>;
  /** The longest a prediction can be billed: it is cancelled after REPLICATE_TIMEOUT_SECONDS, seen at the next poll. */
  replicateMaxSeconds: number;
  /** GPU_COST_PER_HOUR: the dearest worker's rate. */
  gpuUsdPerHour: number;
  /** GPU_ATTEMPT_MAX_SECONDS: how long one attempt may be expected to hold a worker. */
  gpuMaxSeconds: number;
  policy: BackendPolicy;
  /** The tiers that have a Replicate model version configured (the others never run there). */
  replicateTiers: readonly Tier[];
}

/** The backends an attempt at `tier` can run on under this configuration. */
export function backendsFor(tier: Tier, model: CostModel): Backend[] {
  if (TIER_SPECS[tier].defaultBackend === 'gemini') return ['gemini'];
  const backends: Backend[] = [];
  if (model.policy !== 'replicate-only') backends.push('comfyui');
  if (model.policy !== 'comfyui-only' && model.replicateTiers.includes(tier)) backends.push('replicate');
  return backends;
}

/** The most one try at `tier` on `backend` can cost for a clip of `durationSeconds`, in micro-dollars (rounded up). */
export function worstCaseTryMicroUsd(tier: Tier, backend: Backend, durationSeconds: number, model: CostModel): number {
  switch (backend) {
    case 'gemini': {
      // Veo bills every second it makes: the first generation and each extension segment, even
      // where the last one is trimmed.
      const { baseSeconds, extensions } = segmentPlan(tier, durationSeconds);
      const segmentSeconds = TIER_SPECS[tier].extension?.segmentSeconds ?? 0;
      return ceilMicroUsd((baseSeconds + extensions * segmentSeconds) * model.veoUsdPerSecond);
    }
    case 'replicate':
      return ceilMicroUsd(model.replicateMaxSeconds * (model.replicateUsdPerSecond[tier] ?? 0));
    case 'comfyui':
      return ceilMicroUsd((model.gpuMaxSeconds / 3600) * model.gpuUsdPerHour);
  }
}

/** One tier's share of a job's worst case: every try it may get, each on its dearest backend. */
export interface TierWorstCase {
  tier: Tier;
  durationSeconds: number;
  backend: Backend | null;
  tries: number;
  microUsd: number;
}

/**
 * The most a job with this plan can cost: the dearest path through it, which is every tier tried
 * {@link MAX_TRIES_PER_TIER} times (retryable failures), each try on the dearest backend the tier can
 * use here. What `createVideoJob` reserves against the budgets.
 */
export function worstCaseJob(
  plan: readonly Tier[],
  request: { aspectRatio?: AspectRatio; durationSeconds?: number },
  model: CostModel,
): { microUsd: number; tiers: TierWorstCase[] } {
  const tiers = plan.map((tier): TierWorstCase => {
    const { durationSeconds } = resolveTierParams(tier, request);
    let dearest: { backend: Backend; microUsd: number } | null = null;
    for (const backend of backendsFor(tier, model)) {
      const microUsd = worstCaseTryMicroUsd(tier, backend, durationSeconds, model);
      if (!dearest || microUsd > dearest.microUsd) dearest = { backend, microUsd };
    }
    return {
      tier,
      durationSeconds,
      backend: dearest?.backend ?? null,
      tries: MAX_TRIES_PER_TIER,
      microUsd: (dearest?.microUsd ?? 0) * MAX_TRIES_PER_TIER,
    };
  });
  return { microUsd: tiers.reduce((total, t) => total + t.microUsd, 0), tiers };
}
