import { describeIssues, LIMIT_DEFAULTS, LIMITS_DOCUMENT, LimitsSchema, readLimits } from '@vidgen/contract';

const problems = (value: unknown): string[] => {
  const result = LimitsSchema.safeParse(value);
  return result.success ? [] : describeIssues(result.error);
};

describe('LimitsSchema (config/limits)', () => {
  it('lives at config/limits', () => {
    expect(LIMITS_DOCUMENT).toBe('config/limits');
  });

  it('accepts an empty document: every control is optional', () => {
    expect(LimitsSchema.parse({})).toEqual({});
  });

  it('accepts every control at once', () => {
    const limits = {
      paused: true,
      pausedMessage: 'Back at 10:00 UTC',
      globalMonthlyBudgetUsd: 500,
      userDailyBudgetUsd: 2.5,
      anonymousUserDailyBudgetUsd: 0,
      userJobsPerMinute: 3,
      anonymousModels: ['animatediff'],
      tiers: { veo: { enabled: false }, svd: {} },
    };
    expect(LimitsSchema.parse(limits)).toEqual(limits);
  });

  it.each([
    [{ paused: 'yes' }, 'paused: must be true or false'],
    [{ pausedMessage: 7 }, 'pausedMessage: must be a string'],
    [{ globalMonthlyBudgetUsd: -1 }, 'globalMonthlyBudgetUsd: must be 0 or more'],
    [{ userDailyBudgetUsd: '5' }, 'userDailyBudgetUsd: must be a number (US dollars)'],
    [{ anonymousUserDailyBudgetUsd: -0.01 }, 'anonymousUserDailyBudgetUsd: must be 0 or more'],
    [{ userJobsPerMinute: 0 }, 'userJobsPerMinute: must be at least 1'],
    [{ userJobsPerMinute: 1.5 }, 'userJobsPerMinute: must be a whole number'],
    [{ anonymousModels: 'veo' }, 'anonymousModels: must be a list of tiers: veo, animatediff, svd'],
    [{ tiers: { veo: { enabled: 'no' } } }, 'tiers.veo.enabled: must be true or false'],
    [{ tiers: { veo: { enable: false } } }, 'tiers.veo.enable: is not a known field'],
    [{ pasued: true }, 'pasued: is not a known field'],
  ])('refuses %j, naming the field and the rule', (value, message) => {
    expect(problems(value)).toEqual([message]);
  });

  it('refuses a tier that does not exist, in anonymousModels and in tiers', () => {
    expect(problems({ anonymousModels: ['veo', 'sora'] })[0]).toMatch(/^anonymousModels\.1: /);
    expect(problems({ tiers: { sora: { enabled: true } } })[0]).toMatch(/^tiers/);
  });

  it('describes every field, for the console and the docs', () => {
    for (const [field, schema] of Object.entries(LimitsSchema.shape)) {
      expect({ field, description: schema.description }).toEqual({ field, description: expect.stringMatching(/\w/) });
    }
  });
});

describe('readLimits (what createVideoJob applies)', () => {
  it('gives the defaults for a missing or empty document', () => {
    expect(readLimits(undefined)).toEqual({ limits: LIMIT_DEFAULTS, problems: [] });
    expect(readLimits({})).toEqual({ limits: LIMIT_DEFAULTS, problems: [] });
  });

  it('has safe defaults: nothing is unlimited, anonymous users get AnimateDiff only', () => {
    expect(LIMIT_DEFAULTS).toMatchObject({ paused: false, anonymousModels: ['animatediff'] });
    for (const key of ['globalMonthlyBudgetUsd', 'userDailyBudgetUsd', 'anonymousUserDailyBudgetUsd', 'userJobsPerMinute'] as const) {
      expect(Number.isFinite(LIMIT_DEFAULTS[key])).toBe(true);
    }
    expect(LIMIT_DEFAULTS.anonymousUserDailyBudgetUsd).toBeLessThan(LIMIT_DEFAULTS.userDailyBudgetUsd);
    expect(LIMIT_DEFAULTS.userDailyBudgetUsd).toBeLessThan(LIMIT_DEFAULTS.globalMonthlyBudgetUsd);
  });

  it('applies every valid field', () => {
    const { limits, problems } = readLimits({
      paused: true,
      pausedMessage: 'Back at 10:00 UTC',
      globalMonthlyBudgetUsd: 500,
      userDailyBudgetUsd: 2.5,
      anonymousUserDailyBudgetUsd: 0,
      userJobsPerMinute: 3,
      anonymousModels: [],
      tiers: { veo: { enabled: false }, svd: {} },
    });
    expect(problems).toEqual([]);
    expect(limits).toEqual({
      paused: true,
      pausedMessage: 'Back at 10:00 UTC',
      globalMonthlyBudgetUsd: 500,
      userDailyBudgetUsd: 2.5,
      anonymousUserDailyBudgetUsd: 0,
      userJobsPerMinute: 3,
      anonymousModels: [],
      tiers: { veo: { enabled: false }, animatediff: { enabled: true }, svd: { enabled: true } },
    });
  });

  it('reports an invalid field and takes its default, never "unlimited", keeping the valid ones', () => {
    const { limits, problems } = readLimits({
      paused: 'yes',
      userDailyBudgetUsd: '500',
      globalMonthlyBudgetUsd: -1,
      anonymousUserDailyBudgetUsd: 0.5,
      userJobsPerMinute: 0,
      anonymousModels: ['animatediff', 'sora'],
      tiers: { veo: { enabled: 'no' }, svd: { enabled: false }, sora: { enabled: true } },
      pasued: true,
    });
    expect(limits).toEqual({
      ...LIMIT_DEFAULTS,
      anonymousUserDailyBudgetUsd: 0.5,
      tiers: { veo: { enabled: true }, animatediff: { enabled: true }, svd: { enabled: false } },
    });
    expect(problems).toEqual([
      'paused: must be true or false',
      'globalMonthlyBudgetUsd: must be 0 or more',
      'userDailyBudgetUsd: must be a number (US dollars)',
      'userJobsPerMinute: must be at least 1',
      expect.stringMatching(/^anonymousModels\.1: /),
      'tiers.veo.enabled: must be true or false',
      'tiers.sora: is not a tier (veo, animatediff, svd)',
      'pasued: is not a known field',
    ]);
  });

  it('reads a document that is not a map, or tiers that are not a map, as the defaults', () => {
    expect(readLimits('paused')).toEqual({ limits: LIMIT_DEFAULTS, problems: ['config/limits: must be a map of controls'] });
    expect(readLimits({ tiers: ['veo'] })).toEqual({ limits: LIMIT_DEFAULTS, problems: ['tiers: must be a map of tier (veo, animatediff, svd) to { enabled }'] });
  });

  it('never shares the defaults object with a reading (a caller cannot change the defaults)', () => {
    const { limits } = readLimits({ tiers: { veo: { enabled: false } } });
    expect(limits.tiers).not.toBe(LIMIT_DEFAULTS.tiers);
    expect(LIMIT_DEFAULTS.tiers.veo.enabled).toBe(true);
    const empty = readLimits(undefined).limits;
    empty.anonymousModels.push('veo');
    empty.tiers.svd.enabled = false;
    expect(LIMIT_DEFAULTS).toMatchObject({ anonymousModels: ['animatediff'], tiers: { svd: { enabled: true } } });
  });
});
