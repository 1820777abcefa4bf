import type { EffectiveLimits } from './limits';
import type { ModelChoice, Tier } from './tiers';

/**
 * What the live controls of `config/limits` (pause, tier switches, the anonymous policy, the
 * per-user rate) decide about one `createVideoJob` call, as pure functions; `createVideoJob`
 * applies them, the budgets in {@link decideReservation} (budgets.ts) after them.
 */

/** The callable error a control refuses with, and what the caller reads. */
export type ControlRefusal = { ok: false; code: 'unavailable' | 'permission-denied'; message: string };
export type ControlDecision = { ok: true; plan: Tier[] } | ControlRefusal;

function refuse(code: ControlRefusal['code'], message: string): ControlRefusal {
  return { ok: false, code, message };
}

function list(tiers: readonly Tier[]): string {
  return tiers.length > 0 ? tiers.join(', ') : 'none';
}

/**
 * The plan this caller may have. Paused: nothing (`unavailable` with the operator's message). A
 * named tier that is switched off: `unavailable`; one an anonymous caller may not use:
 * `permission-denied`. `auto` keeps the tiers of `plan` that are on and, for an anonymous caller,
 * allowed; when none is left, the same codes say why.
 */
export function applyControls(args: { model: ModelChoice; plan: readonly Tier[]; anonymous: boolean; limits: EffectiveLimits }): ControlDecision {
  const { model, plan, anonymous, limits } = args;
  if (limits.paused) return refuse('unavailable', limits.pausedMessage);
  const enabled = (tier: Tier) => limits.tiers[tier].enabled;
  const allowed = (tier: Tier) => !anonymous || limits.anonymousModels.includes(tier);
  if (model !== 'auto') {
    if (!enabled(model)) return refuse('unavailable', `model: ${model} is switched off for now; try again later or choose another model.`);
    if (!allowed(model)) {
      return refuse('permission-denied', `model: ${model} needs a signed-in account; anonymous users may use ${list(limits.anonymousModels)}.`);
    }
    return { ok: true, plan: [...plan] };
  }
  const on = plan.filter(enabled);
  if (on.length === 0) return refuse('unavailable', `Every model that can make this video (${list(plan)}) is switched off for now; try again later.`);
  const kept = on.filter(allowed);
  if (kept.length === 0) {
    return refuse(
      'permission-denied',
      `Anonymous users may use ${list(limits.anonymousModels)}, and none of them can make this video (only ${list(on)} can); sign in, or change the duration or aspect ratio.`,
    );
  }
  return { ok: true, plan: kept };
}

/** How far back the per-user rate looks. */
export const RATE_WINDOW_MS = 60_000;

export type RateDecision = { ok: true; recentCreations: Date[] } | { ok: false; retryAfterSeconds: number };

/**
 * The per-user creation rate (`userJobsPerMinute`) as a sliding window: at most `perMinute`
 * creations in any 60 s. `recentCreations` are the caller's latest creations (Firestore's clock);
 * allowed, the new list to store (this one added, at most `perMinute` kept); refused, how long until
 * the oldest creation in the window leaves it.
 */
export function decideRate(recentCreations: readonly Date[], now: Date, perMinute: number): RateDecision {
  const inWindow = recentCreations
    .filter((at) => now.getTime() - at.getTime() < RATE_WINDOW_MS)
    .sort((a, b) => a.getTime() - b.getTime());
  if (inWindow.length >= perMinute) {
    const oldestThatCounts = inWindow[inWindow.length - perMinute]!;
    const waitMs = oldestThatCounts.getTime() + RATE_WINDOW_MS - now.getTime();
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
  return { ok: true, recentCreations: [...inWindow, now].slice(-perMinute) };
}
