import { backendsFor, formatUsd, MAX_TRIES_PER_TIER, toMicroUsd, toUsd, worstCaseJob, worstCaseTryMicroUsd, type CostModel } from '@vidgen/contract';

/** The functions' parameters at their defaults: no Replicate versions, so the GPU tiers run on our workers only. */
const DEFAULT_MODEL: CostModel = {
  veoUsdPerSecond: 0.4,
  replicateUsdPerSecond: { animatediff: 0.000975, svd: 0.000975 },
  replicateMaxSeconds: 1800 + 3,
  gpuUsdPerHour: 0.44,
  gpuMaxSeconds: 1800,
  policy: 'prefer-comfyui',
  replicateTiers: [],
};
const WITH_REPLICATE: CostModel = { ...DEFAULT_MODEL, replicateTiers: ['animatediff', 'svd'] };

describe('backendsFor', () => {
  it('follows the backend policy and the Replicate versions configured', () => {
    expect(backendsFor('veo', WITH_REPLICATE)).toEqual(['gemini']);
    expect(backendsFor('animatediff', DEFAULT_MODEL)).toEqual(['comfyui']);
    expect(backendsFor('animatediff', WITH_REPLICATE)).toEqual(['comfyui', 'replicate']);
    expect(backendsFor('svd', { ...WITH_REPLICATE, policy: 'comfyui-only' })).toEqual(['comfyui']);
    expect(backendsFor('svd', { ...WITH_REPLICATE, policy: 'replicate-only' })).toEqual(['replicate']);
    expect(backendsFor('svd', { ...DEFAULT_MODEL, policy: 'replicate-only' })).toEqual([]);
  });
});

describe('worstCaseTryMicroUsd', () => {
  it('charges Veo for every second it makes, extension segments included', () => {
    expect(worstCaseTryMicroUsd('veo', 'gemini', 8, DEFAULT_MODEL)).toBe(3_200_000);
    // 20 s: an 8 s generation and two 7 s extensions, 22 s made (then trimmed).
    expect(worstCaseTryMicroUsd('veo', 'gemini', 20, DEFAULT_MODEL)).toBe(8_800_000);
    // The example: a 148 s clip is about $59.
    expect(worstCaseTryMicroUsd('veo', 'gemini', 148, DEFAULT_MODEL)).toBe(59_200_000);
  });

  it('charges Replicate for the longest a prediction can run, and our GPU for the longest an attempt may hold it', () => {
    expect(worstCaseTryMicroUsd('animatediff', 'replicate', 3, DEFAULT_MODEL)).toBe(1_757_925);
    expect(worstCaseTryMicroUsd('svd', 'comfyui', 3, DEFAULT_MODEL)).toBe(220_000);
  });

  it('rounds up to a whole micro-dollar, never down', () => {
    expect(worstCaseTryMicroUsd('svd', 'comfyui', 3, { ...DEFAULT_MODEL, gpuMaxSeconds: 1 })).toBe(123);
  });
});

describe('worstCaseJob', () => {
  it('is every tier of the plan tried the most times on its dearest backend', () => {
    const { microUsd, tiers } = worstCaseJob(['veo', 'animatediff', 'svd'], {}, DEFAULT_MODEL);
    expect(tiers).toEqual([
      { tier: 'veo', durationSeconds: 8, backend: 'gemini', tries: MAX_TRIES_PER_TIER, microUsd: 9_600_000 },
      { tier: 'animatediff', durationSeconds: 3, backend: 'comfyui', tries: MAX_TRIES_PER_TIER, microUsd: 660_000 },
      { tier: 'svd', durationSeconds: 25 / 8, backend: 'comfyui', tries: MAX_TRIES_PER_TIER, microUsd: 660_000 },
    ]);
    // LIMIT_DEFAULTS.userDailyBudgetUsd (12) holds one default `auto` job.
    expect(toUsd(microUsd)).toBeCloseTo(10.92, 6);
  });

  it('takes the dearer backend where a tier has two', () => {
    const { tiers } = worstCaseJob(['animatediff'], { durationSeconds: 2 }, WITH_REPLICATE);
    expect(tiers[0]).toMatchObject({ backend: 'replicate', microUsd: 3 * 1_757_925 });
  });

  it('costs nothing for a tier no backend can run (it fails over at once)', () => {
    expect(worstCaseJob(['svd'], {}, { ...DEFAULT_MODEL, policy: 'replicate-only' }).microUsd).toBe(0);
  });

  it('uses the duration asked for', () => {
    expect(worstCaseJob(['veo'], { durationSeconds: 148 }, DEFAULT_MODEL).microUsd).toBe(3 * 59_200_000);
    expect(worstCaseJob(['veo'], { durationSeconds: 4 }, DEFAULT_MODEL).microUsd).toBe(3 * 1_600_000);
  });
});

describe('money', () => {
  it('converts between dollars and micro-dollars exactly at the micro-dollar', () => {
    expect(toMicroUsd(10.92)).toBe(10_920_000);
    expect(toMicroUsd(0.1 + 0.2)).toBe(300_000);
    expect(toUsd(1_757_925)).toBe(1.757925);
  });

  it('formats dollars for messages', () => {
    expect(formatUsd(10.92)).toBe('$10.92');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0035)).toBe('$0.0035');
  });
});
