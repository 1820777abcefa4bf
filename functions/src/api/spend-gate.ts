import type { Firestore } from 'firebase-admin/firestore';
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import {
  applyControls,
  worstCaseJob,
  type CostModel,
  type CreateVideoJobRequest,
  type EffectiveLimits,
  type Tier,
} from '@vidgen/contract';
import { reserveSpend, SpendRefused, type SpendReservation } from '@vidgen/contract/admin';
import type { Settings } from '../config';

/**
 * What stands between a caller and the money a job spends: the live controls of `config/limits`
 * (pause, tier switches, the anonymous policy) before anything is read, then the per-user rate and
 * the budgets, reserved in the commit that creates the job. Decisions are the contract's pure
 * functions; this maps them to the callable's errors.
 */

/** Whether the caller signed in anonymously (Firebase Auth's `sign_in_provider` claim). */
export function isAnonymous(request: CallableRequest<unknown>): boolean {
  return request.auth?.token.firebase?.sign_in_provider === 'anonymous';
}

/** The plan the live controls leave this caller: `unavailable` (paused, tier off) or `permission-denied` (anonymous) otherwise. */
export function controlledPlan(input: CreateVideoJobRequest, plan: Tier[], anonymous: boolean, limits: EffectiveLimits): Tier[] {
  const decision = applyControls({ model: input.model, plan, anonymous, limits });
  if (!decision.ok) throw new HttpsError(decision.code, decision.message);
  return decision.plan;
}

/** What each backend can cost here, from the functions' parameters. */
export function costModel(config: Settings): CostModel {
  return {
    veoUsdPerSecond: config.VEO_COST_PER_SECOND,
    replicateUsdPerSecond: { animatediff: config.REPLICATE_ANIMATEDIFF_COST_PER_SECOND, svd: config.REPLICATE_SVD_COST_PER_SECOND },
    replicateMaxSeconds: config.REPLICATE_TIMEOUT_SECONDS + config.REPLICATE_POLL_SECONDS,
    gpuUsdPerHour: config.GPU_COST_PER_HOUR,
    gpuMaxSeconds: config.GPU_ATTEMPT_MAX_SECONDS,
    policy: config.BACKEND_POLICY,
    replicateTiers: [
      ...(config.REPLICATE_ANIMATEDIFF_VERSION ? (['animatediff'] as const) : []),
      ...(config.REPLICATE_SVD_VERSION ? (['svd'] as const) : []),
    ],
  };
}

/** The job's worst case in micro-dollars: what its creation reserves. */
export function worstCaseMicroUsd(input: CreateVideoJobRequest, plan: Tier[], config: Settings): number {
  return worstCaseJob(plan, input, costModel(config)).microUsd;
}

/**
 * Reserves the job's worst case against the caller's daily ledger and the monthly ledger (see
 * `reserveSpend`); over the rate or a budget, `resource-exhausted` naming the limit and when it
 * resets, with `{ retryAfterSeconds }` (rate) or `{ budget, resetsAt }` in the details.
 */
export async function reserveOrRefuse(db: Firestore, args: Parameters<typeof reserveSpend>[1]): Promise<SpendReservation> {
  try {
    return await reserveSpend(db, args);
  } catch (error) {
    if (!(error instanceof SpendRefused)) throw error;
    const { refusal } = error;
    const details = refusal.kind === 'rate'
      ? { retryAfterSeconds: refusal.retryAfterSeconds }
      : { budget: refusal.budget, resetsAt: refusal.resetsAt.toISOString(), budgetUsd: refusal.budgetUsd, leftUsd: refusal.leftUsd, neededUsd: refusal.neededUsd };
    throw new HttpsError('resource-exhausted', error.message, details);
  }
}
