import {
  segmentPlan,
  AUTO_PLAN,
  BackendSchema,
  planFor,
  resolveTierParams,
  TIER_SPECS,
  TierSchema,
  tierRefusals,
  veoModelExtends,
  type AspectRatio,
  type Tier,
} from '@vidgen/contract';

describe('planFor', () => {
  it('plans veo, animatediff, svd for auto with no constraints', () => {
    expect(AUTO_PLAN).toEqual(['veo', 'animatediff', 'svd']);
    expect(planFor('auto', {})).toEqual({ ok: true, plan: ['veo', 'animatediff', 'svd'] });
  });

  it('keeps only veo for an 8-second auto request', () => {
    expect(planFor('auto', { durationSeconds: 8 })).toEqual({ ok: true, plan: ['veo'] });
  });

  it('keeps the tiers that make a 4-second video, in auto order', () => {
    expect(planFor('auto', { durationSeconds: 4 })).toEqual({ ok: true, plan: ['veo', 'animatediff'] });
  });

  it('drops veo for a square auto request', () => {
    expect(planFor('auto', { aspectRatio: '1:1' })).toEqual({ ok: true, plan: ['animatediff', 'svd'] });
  });

  it('drops the tiers that refuse either field', () => {
    expect(planFor('auto', { aspectRatio: '1:1', durationSeconds: 4 })).toEqual({ ok: true, plan: ['animatediff'] });
    expect(planFor('auto', { aspectRatio: '9:16', durationSeconds: 2 })).toEqual({ ok: true, plan: ['animatediff', 'svd'] });
  });

  it('plans a 40-second auto request on veo alone (by extension)', () => {
    expect(planFor('auto', { durationSeconds: 40 })).toEqual({ ok: true, plan: ['veo'] });
  });

  it('refuses a 200-second auto request, one durationSeconds sentence per tier', () => {
    const result = planFor('auto', { durationSeconds: 200 });
    expect(result).toEqual({
      ok: false,
      refusals: [
        'durationSeconds: veo makes 4, 6, 8 s, or 9-148 s by extension, not 200 s',
        'durationSeconds: animatediff makes 1-4 s, not 200 s',
        'durationSeconds: svd makes 1-3 s, not 200 s',
      ],
    });
  });

  it('refuses a 5-second auto request: between veo\'s set values and above the ComfyUI ranges', () => {
    const result = planFor('auto', { durationSeconds: 5 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.refusals).toHaveLength(3);
      for (const refusal of result.refusals) expect(refusal).toMatch(/^durationSeconds: /);
    }
  });

  it('uses a named tier alone', () => {
    expect(planFor('animatediff', {})).toEqual({ ok: true, plan: ['animatediff'] });
    expect(planFor('svd', { durationSeconds: 2, aspectRatio: '1:1' })).toEqual({ ok: true, plan: ['svd'] });
    expect(planFor('veo', { durationSeconds: 6, aspectRatio: '9:16' })).toEqual({ ok: true, plan: ['veo'] });
  });

  it('refuses a named tier that does not offer the aspect ratio, never falling back to another tier', () => {
    expect(planFor('veo', { aspectRatio: '1:1' })).toEqual({ ok: false, refusals: ['aspectRatio: veo offers 16:9, 9:16, not 1:1'] });
  });

  it('reports both refusals of a named tier', () => {
    expect(planFor('veo', { aspectRatio: '1:1', durationSeconds: 5 })).toEqual({
      ok: false,
      refusals: ['aspectRatio: veo offers 16:9, 9:16, not 1:1', 'durationSeconds: veo makes 4, 6, 8 s, or 9-148 s by extension, not 5 s'],
    });
  });

  it('returns a fresh plan array each time', () => {
    const first = planFor('auto', {});
    if (first.ok) first.plan.push('veo');
    expect(planFor('auto', {})).toEqual({ ok: true, plan: ['veo', 'animatediff', 'svd'] });
    expect(AUTO_PLAN).toEqual(['veo', 'animatediff', 'svd']);
  });
});

describe('planFor with the deployment\'s Veo model', () => {
  const extending = { veoModel: 'veo-3.1-generate-preview' };
  const single = { veoModel: 'veo-3.0-generate-001' };

  it('knows which Veo models extend: 3.1 and 3.1 Fast, not 3.1 Lite, 3 or 2', () => {
    for (const model of ['veo-3.1-generate-preview', 'veo-3.1-fast-generate-preview', 'veo-3.1-generate-001', 'models/veo-3.1-fast-generate-001']) {
      expect(veoModelExtends(model)).toBe(true);
    }
    for (const model of ['veo-3.1-lite-generate-preview', 'veo-3.0-generate-001', 'veo-3.0-fast-generate-001', 'veo-2.0-generate-001', 'some-future-model']) {
      expect(veoModelExtends(model)).toBe(false);
    }
  });

  it('offers extension lengths with a model that extends, as without a context', () => {
    expect(planFor('veo', { durationSeconds: 30 }, extending)).toEqual({ ok: true, plan: ['veo'] });
    expect(planFor('auto', { durationSeconds: 40 }, extending)).toEqual(planFor('auto', { durationSeconds: 40 }));
  });

  it('refuses a named veo longer than one generation when the model cannot extend, saying why', () => {
    expect(planFor('veo', { durationSeconds: 30 }, single)).toEqual({
      ok: false,
      refusals: ['durationSeconds: veo makes 4, 6, 8 s (its model here, veo-3.0-generate-001, cannot extend a video), not 30 s'],
    });
  });

  it('leaves veo out of auto for a long clip when the model cannot extend', () => {
    const result = planFor('auto', { durationSeconds: 12 }, single);
    expect(result).toEqual({
      ok: false,
      refusals: [
        'durationSeconds: veo makes 4, 6, 8 s (its model here, veo-3.0-generate-001, cannot extend a video), not 12 s',
        'durationSeconds: animatediff makes 1-4 s, not 12 s',
        'durationSeconds: svd makes 1-3 s, not 12 s',
      ],
    });
  });

  it('keeps single-generation lengths and plain refusals with a model that cannot extend', () => {
    expect(planFor('veo', { durationSeconds: 8 }, single)).toEqual({ ok: true, plan: ['veo'] });
    expect(planFor('auto', {}, single)).toEqual({ ok: true, plan: ['veo', 'animatediff', 'svd'] });
    expect(planFor('auto', { durationSeconds: 4 }, single)).toEqual({ ok: true, plan: ['veo', 'animatediff'] });
    // 5 s is not a length Veo makes with any model: no word about extension.
    expect(tierRefusals('veo', { durationSeconds: 5 }, single)).toEqual(['durationSeconds: veo makes 4, 6, 8 s, not 5 s']);
  });
});

describe('tierRefusals', () => {
  it.each<[Tier, number[], number[]]>([
    ['veo', [4, 6, 8, 9, 30, 60, 148], [1, 2, 3, 5, 7, 149, 600]],
    ['animatediff', [1, 2, 3, 4], [5, 8, 60]],
    ['svd', [1, 2, 3], [4, 8, 60]],
  ])('%s accepts durations %j and refuses %j', (tier, accepted, refused) => {
    for (const durationSeconds of accepted) expect(tierRefusals(tier, { durationSeconds })).toEqual([]);
    for (const durationSeconds of refused) {
      expect(tierRefusals(tier, { durationSeconds })).toEqual([expect.stringMatching(new RegExp(`^durationSeconds: ${tier} makes .*, not ${durationSeconds} s$`))]);
    }
  });

  it.each<[Tier, AspectRatio[], AspectRatio[]]>([
    ['veo', ['16:9', '9:16'], ['1:1']],
    ['animatediff', ['1:1', '16:9', '9:16'], []],
    ['svd', ['16:9', '9:16', '1:1'], []],
  ])('%s offers %j and refuses %j', (tier, offered, refused) => {
    for (const aspectRatio of offered) expect(tierRefusals(tier, { aspectRatio })).toEqual([]);
    for (const aspectRatio of refused) expect(tierRefusals(tier, { aspectRatio })).toEqual([expect.stringMatching(/^aspectRatio: /)]);
  });

  it('accepts a request with neither field', () => {
    for (const tier of TierSchema.options) expect(tierRefusals(tier, {})).toEqual([]);
  });
});

describe('resolveTierParams', () => {
  it('animatediff defaults to 512x512, 24 frames at 8 fps, 3 s', () => {
    expect(resolveTierParams('animatediff', {})).toEqual({
      tier: 'animatediff', width: 512, height: 512, aspectRatio: '1:1', durationSeconds: 3, frameCount: 24, fps: 8, steps: 20, cfg: 7.5,
    });
  });

  it('svd defaults to 1024x576 and 25 frames, its frame budget', () => {
    const params = resolveTierParams('svd', {});
    expect(params).toMatchObject({ tier: 'svd', width: 1024, height: 576, aspectRatio: '16:9', frameCount: 25, fps: 8, steps: 20, cfg: 2.5 });
    // the duration reported is what the frames make, not what was asked for
    expect(params.durationSeconds).toBeCloseTo(25 / 8);
  });

  it('veo defaults to 1280x720, 8 s at 24 fps, without sampler settings', () => {
    const params = resolveTierParams('veo', {});
    expect(params).toEqual({ tier: 'veo', width: 1280, height: 720, aspectRatio: '16:9', durationSeconds: 8, frameCount: 192, fps: 24 });
    expect(params).not.toHaveProperty('steps');
    expect(params).not.toHaveProperty('cfg');
  });

  it.each<[Tier, AspectRatio, number, number]>([
    ['veo', '9:16', 720, 1280],
    ['animatediff', '16:9', 768, 432],
    ['animatediff', '9:16', 432, 768],
    ['svd', '9:16', 576, 1024],
    ['svd', '1:1', 768, 768],
  ])('%s at %s is %ix%i', (tier, aspectRatio, width, height) => {
    expect(resolveTierParams(tier, { aspectRatio })).toMatchObject({ aspectRatio, width, height });
  });

  it('follows the requested duration', () => {
    expect(resolveTierParams('veo', { durationSeconds: 4 })).toMatchObject({ durationSeconds: 4, frameCount: 96 });
    expect(resolveTierParams('animatediff', { durationSeconds: 2 })).toMatchObject({ durationSeconds: 2, frameCount: 16 });
    expect(resolveTierParams('svd', { durationSeconds: 1 })).toMatchObject({ frameCount: 9, durationSeconds: 9 / 8 });
    expect(resolveTierParams('svd', { durationSeconds: 2 })).toMatchObject({ frameCount: 17, durationSeconds: 17 / 8 });
  });

  it('always reports durationSeconds = frameCount / fps', () => {
    for (const tier of TierSchema.options) {
      for (const durationSeconds of [1, 2, 3, 4, 6, 8]) {
        if (tierRefusals(tier, { durationSeconds }).length > 0) continue;
        const params = resolveTierParams(tier, { durationSeconds });
        expect(params.durationSeconds).toBeCloseTo(params.frameCount / params.fps);
        expect(Number.isInteger(params.frameCount)).toBe(true);
      }
    }
  });

  it('caps svd at its 25-frame budget', () => {
    expect(TIER_SPECS.svd.frameCount(3)).toBe(25);
    expect(TIER_SPECS.svd.frameCount(10)).toBe(25);
    expect(TIER_SPECS.animatediff.frameCount(10)).toBe(80);
  });

  it('throws for an aspect ratio the tier does not offer', () => {
    expect(() => resolveTierParams('veo', { aspectRatio: '1:1' })).toThrow('veo has no size for aspect ratio 1:1');
  });
});

describe('TIER_SPECS', () => {
  it('gives every tier a valid backend and a default the tier itself accepts', () => {
    for (const tier of TierSchema.options) {
      const spec = TIER_SPECS[tier];
      expect(BackendSchema.safeParse(spec.defaultBackend).success).toBe(true);
      expect(spec.sizes[spec.defaultAspectRatio]).toBeDefined();
      expect(tierRefusals(tier, { aspectRatio: spec.defaultAspectRatio, durationSeconds: spec.defaultDurationSeconds })).toEqual([]);
    }
  });
});

describe('segmentPlan', () => {
  it.each([
    ['veo', 8, { baseSeconds: 8, extensions: 0 }],
    ['veo', 4, { baseSeconds: 4, extensions: 0 }],
    ['veo', 15, { baseSeconds: 8, extensions: 1 }],
    ['veo', 30, { baseSeconds: 8, extensions: 4 }],
    ['veo', 148, { baseSeconds: 8, extensions: 20 }],
    ['animatediff', 3, { baseSeconds: 3, extensions: 0 }],
  ] as const)('%s for %d s → %j', (tier, seconds, plan) => {
    expect(segmentPlan(tier, seconds)).toEqual(plan);
  });
});
