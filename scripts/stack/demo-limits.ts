import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { LIMITS_DOCUMENT, type Limits } from '@vidgen/contract';

/**
 * The `config/limits` every local stack starts with: permissive, so that the demo, the CLI and the
 * tests (all signed in anonymously) may use every tier, and no budget or rate stands in the way.
 * Not production's defaults (LIMIT_DEFAULTS in the contract; README, "Limits and budgets"): the
 * stack says so when it writes this, and tests that need tighter limits write their own.
 */
export const DEMO_LIMITS: Limits = {
  paused: false,
  globalMonthlyBudgetUsd: 1_000_000,
  userDailyBudgetUsd: 10_000,
  anonymousUserDailyBudgetUsd: 10_000,
  userJobsPerMinute: 1_000,
  anonymousModels: ['veo', 'animatediff', 'svd'],
  tiers: { veo: { enabled: true }, animatediff: { enabled: true }, svd: { enabled: true } },
};

/** Writes {@link DEMO_LIMITS} over `config/limits` in the stack's Firestore emulator (FIRESTORE_EMULATOR_HOST). */
export async function seedDemoLimits(projectId: string): Promise<void> {
  const app = initializeApp({ projectId }, `seed-limits-${projectId}`);
  try {
    await getFirestore(app).doc(LIMITS_DOCUMENT).set(DEMO_LIMITS);
  } finally {
    await deleteApp(app);
  }
}

/** What the stack prints when it has seeded them. */
export const DEMO_LIMITS_NOTE =
  `Seeded ${LIMITS_DOCUMENT} with permissive demo limits (every tier for anonymous users, budgets of $${DEMO_LIMITS.userDailyBudgetUsd} a day per user, ` +
  `${DEMO_LIMITS.userJobsPerMinute} jobs a minute): a local setting, not production's defaults`;
