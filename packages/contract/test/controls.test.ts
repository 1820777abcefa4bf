import { applyControls, decideRate, LIMIT_DEFAULTS, type EffectiveLimits, type Tier } from '@vidgen/contract';
import { at } from './helpers';

const AUTO: Tier[] = ['veo', 'animatediff', 'svd'];
const limits = (change: Partial<EffectiveLimits> = {}): EffectiveLimits => ({ ...LIMIT_DEFAULTS, ...change });
const off = (...tiers: Tier[]): EffectiveLimits['tiers'] => ({
  veo: { enabled: !tiers.includes('veo') },
  animatediff: { enabled: !tiers.includes('animatediff') },
  svd: { enabled: !tiers.includes('svd') },
});

describe('applyControls', () => {
  it('refuses everything while paused, with the operator\'s message', () => {
    const paused = limits({ paused: true, pausedMessage: 'Maintenance until 10:00 UTC' });
    for (const anonymous of [true, false]) {
      expect(applyControls({ model: 'auto', plan: AUTO, anonymous, limits: paused })).toEqual({ ok: false, code: 'unavailable', message: 'Maintenance until 10:00 UTC' });
    }
  });

  it('keeps the whole plan for a signed-in caller when every tier is on', () => {
    expect(applyControls({ model: 'auto', plan: AUTO, anonymous: false, limits: limits() })).toEqual({ ok: true, plan: AUTO });
    expect(applyControls({ model: 'veo', plan: ['veo'], anonymous: false, limits: limits() })).toEqual({ ok: true, plan: ['veo'] });
  });

  it('refuses a named tier outside anonymousModels with permission-denied, and narrows auto to the allowed ones', () => {
    expect(applyControls({ model: 'veo', plan: ['veo'], anonymous: true, limits: limits() })).toEqual({
      ok: false,
      code: 'permission-denied',
      message: 'model: veo needs a signed-in account; anonymous users may use animatediff.',
    });
    expect(applyControls({ model: 'auto', plan: AUTO, anonymous: true, limits: limits() })).toEqual({ ok: true, plan: ['animatediff'] });
    expect(applyControls({ model: 'auto', plan: AUTO, anonymous: true, limits: limits({ anonymousModels: ['svd', 'veo'] }) })).toEqual({ ok: true, plan: ['veo', 'svd'] });
  });

  it('says permission-denied when auto leaves an anonymous caller nothing that can make the video', () => {
    // Only Veo makes 8 s; anonymous users may not use it.
    expect(applyControls({ model: 'auto', plan: ['veo'], anonymous: true, limits: limits() })).toMatchObject({ ok: false, code: 'permission-denied', message: expect.stringMatching(/only veo can/) });
    expect(applyControls({ model: 'auto', plan: AUTO, anonymous: true, limits: limits({ anonymousModels: [] }) })).toMatchObject({ ok: false, code: 'permission-denied' });
  });

  it('refuses a switched-off tier by name with unavailable, and auto skips it', () => {
    const veoOff = limits({ tiers: off('veo') });
    expect(applyControls({ model: 'veo', plan: ['veo'], anonymous: false, limits: veoOff })).toEqual({
      ok: false,
      code: 'unavailable',
      message: 'model: veo is switched off for now; try again later or choose another model.',
    });
    expect(applyControls({ model: 'auto', plan: AUTO, anonymous: false, limits: veoOff })).toEqual({ ok: true, plan: ['animatediff', 'svd'] });
    // Switched off wins over the anonymous policy: signing in would not help.
    expect(applyControls({ model: 'veo', plan: ['veo'], anonymous: true, limits: veoOff })).toMatchObject({ code: 'unavailable' });
  });

  it('says unavailable when every tier that could make the video is off', () => {
    expect(applyControls({ model: 'auto', plan: ['animatediff', 'svd'], anonymous: false, limits: limits({ tiers: off('animatediff', 'svd') }) })).toMatchObject({
      ok: false,
      code: 'unavailable',
    });
  });
});

describe('decideRate', () => {
  it('allows up to the limit in any 60 s, and keeps the window at most that long', () => {
    let recent: Date[] = [];
    for (const t of [0, 1_000, 2_000]) {
      const decision = decideRate(recent, at(t), 3);
      if (!decision.ok) throw new Error('expected room');
      recent = decision.recentCreations;
    }
    expect(recent).toEqual([at(0), at(1_000), at(2_000)]);
    expect(decideRate(recent, at(30_000), 3)).toEqual({ ok: false, retryAfterSeconds: 30 });
    // The first creation leaves the window after 60 s; then one more fits, and the oldest is dropped.
    expect(decideRate(recent, at(59_999), 3)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(decideRate(recent, at(60_000), 3)).toEqual({ ok: true, recentCreations: [at(1_000), at(2_000), at(60_000)] });
  });

  it('waits for the creation that frees a place when the limit was lowered below what the window holds', () => {
    const recent = [at(0), at(10_000), at(20_000), at(30_000)];
    expect(decideRate(recent, at(40_000), 2)).toEqual({ ok: false, retryAfterSeconds: 40 });
  });
});
