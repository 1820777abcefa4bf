import { z } from 'zod';
import { AUTO_PLAN, TierSchema, type Tier } from './tiers';
import { describeIssues } from './validation';

/** Where the live controls live: one document operators edit in the Firebase console, no redeploy. */
export const LIMITS_DOCUMENT = 'config/limits';

const usd = (what: string) =>
  z
    .number({ error: 'must be a number (US dollars)' })
    .nonnegative({ error: 'must be 0 or more' })
    .optional()
    .describe(what);

/**
 * `config/limits`: live controls over what the service accepts. Every field is optional; a missing
 * field (or a missing document) means its default in {@link LIMIT_DEFAULTS}, never "no limit".
 * Unknown fields are refused, as in the request schema, so a misspelt control (`pasued`) is
 * reported (by the doctor) rather than silently ignored; {@link readLimits} is what the service
 * itself applies.
 */
export const LimitsSchema = z
  .object({
    paused: z.boolean({ error: 'must be true or false' }).optional().describe('true: new jobs are refused (running ones finish).'),
    pausedMessage: z
      .string({ error: 'must be a string' })
      .optional()
      .describe('What callers are told while paused.'),
    globalMonthlyBudgetUsd: usd('Spend allowed across all users per calendar month (UTC), in US dollars.'),
    userDailyBudgetUsd: usd('Spend allowed per signed-in user per day (UTC), in US dollars.'),
    anonymousUserDailyBudgetUsd: usd('Spend allowed per anonymous user per day (UTC), in US dollars.'),
    userJobsPerMinute: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .positive({ error: 'must be at least 1' })
      .optional()
      .describe('Jobs one user may create per minute.'),
    anonymousModels: z
      .array(TierSchema, { error: 'must be a list of tiers: veo, animatediff, svd' })
      .optional()
      .describe('The tiers anonymous users may use (by name or through `auto`); absent: animatediff only.'),
    tiers: z
      .partialRecord(
        TierSchema,
        z
          .object({ enabled: z.boolean({ error: 'must be true or false' }).optional().describe('false: the tier is skipped by every plan.') })
          .strict(),
        { error: 'must be a map of tier (veo, animatediff, svd) to { enabled }' },
      )
      .optional()
      .describe('Per-tier switches, by tier name.'),
  })
  .strict()
  .describe('Live controls: pause, budgets, per-user rate, anonymous policy, tiers on or off.');
export type Limits = z.infer<typeof LimitsSchema>;

/** `config/limits` with every control resolved: what `createVideoJob` applies. */
export interface EffectiveLimits {
  paused: boolean;
  pausedMessage: string;
  globalMonthlyBudgetUsd: number;
  userDailyBudgetUsd: number;
  anonymousUserDailyBudgetUsd: number;
  userJobsPerMinute: number;
  anonymousModels: Tier[];
  tiers: Record<Tier, { enabled: boolean }>;
}

/**
 * What a missing document or field means: safe for a public deployment nobody has tuned yet.
 * Anonymous users get AnimateDiff alone and $1 a day (one AnimateDiff job's worst case on our GPUs
 * is $0.66); signed-in users $12 a day, which holds one default `auto` job (its worst case, Veo 8 s
 * tried 3 times then the GPU tiers, is $10.92 at the default rates); the whole project $100 a
 * month, which an operator raises on purpose once they have seen the costs.
 */
export const LIMIT_DEFAULTS: EffectiveLimits = {
  paused: false,
  pausedMessage: 'New videos are paused for now; please try again later.',
  globalMonthlyBudgetUsd: 100,
  userDailyBudgetUsd: 12,
  anonymousUserDailyBudgetUsd: 1,
  userJobsPerMinute: 5,
  anonymousModels: ['animatediff'],
  tiers: { veo: { enabled: true }, animatediff: { enabled: true }, svd: { enabled: true } },
};

/** What {@link readLimits} made of a `config/limits` document: the controls, and what it had to ignore. */
export interface LimitsReading {
  limits: EffectiveLimits;
  /** "field: rule" for every field that was invalid (its default applies instead) or unknown. */
  problems: string[];
}

type ScalarControl = Exclude<keyof EffectiveLimits, 'tiers'>;
const SCALAR_CONTROLS = Object.keys(LIMIT_DEFAULTS).filter((key) => key !== 'tiers') as ScalarControl[];

/** describeIssues of a value parsed on its own names no field ("request: ..."); put the control's name in front. */
function fieldProblems(field: string, error: z.ZodError): string[] {
  const own = 'request: ';
  return describeIssues(error).map((problem) => (problem.startsWith(own) ? `${field}: ${problem.slice(own.length)}` : `${field}.${problem}`));
}

function copyOfDefaults(): EffectiveLimits {
  const { tiers } = LIMIT_DEFAULTS;
  return {
    ...LIMIT_DEFAULTS,
    anonymousModels: [...LIMIT_DEFAULTS.anonymousModels],
    tiers: { veo: { ...tiers.veo }, animatediff: { ...tiers.animatediff }, svd: { ...tiers.svd } },
  };
}

/**
 * Reads `config/limits` leniently, field by field: a missing document or field takes its default;
 * an invalid field is reported in `problems` and takes its default too (never "unlimited"), so one
 * typo in the console never switches every control off. Tiers are read one by one (`tiers.veo`).
 */
export function readLimits(data: unknown): LimitsReading {
  const problems: string[] = [];
  const limits = copyOfDefaults();
  if (data === undefined || data === null) return { limits, problems };
  if (typeof data !== 'object' || Array.isArray(data)) return { limits, problems: ['config/limits: must be a map of controls'] };
  const document = data as Record<string, unknown>;
  const assign = <K extends ScalarControl>(key: K, value: EffectiveLimits[K]) => {
    limits[key] = value;
  };
  for (const key of SCALAR_CONTROLS) {
    if (document[key] === undefined) continue;
    const parsed = LimitsSchema.shape[key].safeParse(document[key]);
    if (!parsed.success) problems.push(...fieldProblems(key, parsed.error));
    else if (parsed.data !== undefined) assign(key, parsed.data);
  }
  const tiers = document.tiers;
  if (tiers !== undefined) {
    if (typeof tiers !== 'object' || tiers === null || Array.isArray(tiers)) {
      problems.push('tiers: must be a map of tier (veo, animatediff, svd) to { enabled }');
    } else {
      const switchSchema = z.object({ enabled: z.boolean({ error: 'must be true or false' }).optional() }).strict();
      for (const [tier, value] of Object.entries(tiers as Record<string, unknown>)) {
        if (!AUTO_PLAN.includes(tier as Tier)) {
          problems.push(`tiers.${tier}: is not a tier (veo, animatediff, svd)`);
          continue;
        }
        const parsed = switchSchema.safeParse(value);
        if (!parsed.success) problems.push(...fieldProblems(`tiers.${tier}`, parsed.error));
        else if (parsed.data.enabled !== undefined) limits.tiers[tier as Tier] = { enabled: parsed.data.enabled };
      }
    }
  }
  for (const key of Object.keys(document)) {
    if (!(key in LimitsSchema.shape)) problems.push(`${key}: is not a known field`);
  }
  return { limits, problems };
}
