import {
  budgetResetsAt,
  decideReservation,
  describeSpendRefusal,
  GLOBAL_LEDGER_SHARDS,
  globalRoomMicroUsd,
  ledgerExpiresAt,
  LIMIT_DEFAULTS,
  reservedMicroUsdOf,
  settleShares,
  shardSliceMicroUsd,
  takeFromShards,
  utcDayKey,
  utcMonthKey,
  type EffectiveLimits,
  type LedgerTotals,
  type Reservation,
  type ReservationInput,
} from '@vidgen/contract';

const NOW = new Date('2026-12-31T23:59:30.000Z');
const ledger = (reservedMicroUsd = 0, spentMicroUsd = 0): LedgerTotals => ({ reservedMicroUsd, spentMicroUsd });
const limits = (change: Partial<EffectiveLimits> = {}): EffectiveLimits => ({ ...LIMIT_DEFAULTS, ...change });
const allEmpty = () => Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, shard) => ({ shard, ledger: ledger() }));

function input(change: Partial<ReservationInput> = {}): ReservationInput {
  return {
    now: NOW,
    anonymous: false,
    limits: limits(),
    amountMicroUsd: 1_000_000,
    recentCreations: [],
    userDay: ledger(),
    shards: allEmpty(),
    ...change,
  };
}

describe('ledger keys and resets', () => {
  it('counts days and months in UTC, and resets at UTC midnight and on the first of the month', () => {
    expect(utcDayKey(NOW)).toBe('2026-12-31');
    expect(utcMonthKey(NOW)).toBe('2026-12');
    expect(budgetResetsAt('userDaily', NOW)).toEqual(new Date('2027-01-01T00:00:00.000Z'));
    expect(budgetResetsAt('anonymousUserDaily', new Date('2026-03-04T00:00:00.000Z'))).toEqual(new Date('2026-03-05T00:00:00.000Z'));
    expect(budgetResetsAt('globalMonthly', new Date('2026-02-14T12:00:00.000Z'))).toEqual(new Date('2026-03-01T00:00:00.000Z'));
    expect(budgetResetsAt('globalMonthly', NOW)).toEqual(new Date('2027-01-01T00:00:00.000Z'));
  });

  it('expires a ledger 35 days after its day or month ended', () => {
    expect(ledgerExpiresAt('2026-12-31')).toEqual(new Date('2027-02-05T00:00:00.000Z'));
    expect(ledgerExpiresAt('2026-02-28')).toEqual(new Date('2026-04-05T00:00:00.000Z'));
    expect(ledgerExpiresAt('2026-12')).toEqual(new Date('2027-02-05T00:00:00.000Z'));
    expect(ledgerExpiresAt('2026-01')).toEqual(new Date('2026-03-08T00:00:00.000Z'));
  });
});

describe('shard slices', () => {
  it.each([0, 1, 31, 32, 33, 100_000_000, 123_456_789])('add up to the budget exactly (%i micro-dollars)', (budget) => {
    const slices = Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, i) => shardSliceMicroUsd(budget, i));
    expect(slices.reduce((a, b) => a + b, 0)).toBe(budget);
    expect(Math.max(...slices) - Math.min(...slices)).toBeLessThanOrEqual(1);
  });

  it('takes from the first shard with room for all of it alone, spans shards when needed, and refuses when they lack room together', () => {
    const budget = 32_000_000;
    const shards = [{ shard: 3, ledger: ledger(600_000) }, { shard: 4, ledger: ledger(0, 200_000) }, { shard: 5, ledger: ledger() }];
    expect(takeFromShards(shards, 300_000, budget)).toEqual([{ shard: 3, microUsd: 300_000 }]);
    expect(takeFromShards(shards, 500_000, budget)).toEqual([{ shard: 4, microUsd: 500_000 }]);
    expect(takeFromShards(shards, 1_500_000, budget)).toEqual([{ shard: 3, microUsd: 400_000 }, { shard: 4, microUsd: 800_000 }, { shard: 5, microUsd: 300_000 }]);
    expect(takeFromShards(shards, 2_300_000, budget)).toBeNull();
    expect(takeFromShards(shards, 0, budget)).toEqual([{ shard: 3, microUsd: 0 }]);
  });

  it('gives a shard above its slice (the budget was lowered) no room, and counts no negative room', () => {
    const shards = new Map([[0, ledger(5_000_000)], [1, ledger()]]);
    expect(globalRoomMicroUsd(shards, 32_000_000)).toBe(31_000_000);
  });
});

describe('decideReservation', () => {
  it('reserves in the caller\'s day and the month\'s shards, and records the creation for the rate', () => {
    const decision = decideReservation(input({ userDay: ledger(1_000_000, 500_000), recentCreations: [new Date(NOW.getTime() - 5_000)] }));
    expect(decision).toEqual({
      kind: 'reserve',
      recentCreations: [new Date(NOW.getTime() - 5_000), NOW],
      userDay: ledger(2_000_000, 500_000),
      takes: [{ shard: 0, microUsd: 1_000_000 }],
    });
  });

  it('checks the rate first, then the caller\'s daily budget, then the monthly one', () => {
    const busy = Array.from({ length: 5 }, (_, i) => new Date(NOW.getTime() - 10_000 * (i + 1)));
    expect(decideReservation(input({ recentCreations: busy, userDay: ledger(99_000_000) }))).toEqual({
      kind: 'refuse',
      refusal: { kind: 'rate', retryAfterSeconds: 10, perMinute: 5 },
    });
    expect(decideReservation(input({ userDay: ledger(11_500_000), shards: [] }))).toEqual({
      kind: 'refuse',
      refusal: { kind: 'budget', budget: 'userDaily', budgetUsd: 12, leftUsd: 0.5, neededUsd: 1, resetsAt: new Date('2027-01-01T00:00:00.000Z') },
    });
    expect(decideReservation(input({ anonymous: true, amountMicroUsd: 660_000, userDay: ledger(400_000) }))).toMatchObject({
      kind: 'refuse',
      refusal: { budget: 'anonymousUserDaily', budgetUsd: 1, leftUsd: 0.6 },
    });
    const full = allEmpty().map(({ shard }) => ({ shard, ledger: ledger(shardSliceMicroUsd(100_000_000, shard) - 10_000) }));
    expect(decideReservation(input({ shards: full }))).toEqual({
      kind: 'refuse',
      refusal: { kind: 'budget', budget: 'globalMonthly', budgetUsd: 100, leftUsd: 0.32, neededUsd: 1, resetsAt: new Date('2027-01-01T00:00:00.000Z') },
    });
  });

  it('refuses everything when a budget is 0', () => {
    expect(decideReservation(input({ limits: limits({ userDailyBudgetUsd: 0 }) }))).toMatchObject({ kind: 'refuse', refusal: { budget: 'userDaily' } });
    expect(decideReservation(input({ limits: limits({ globalMonthlyBudgetUsd: 0 }) }))).toMatchObject({ kind: 'refuse', refusal: { budget: 'globalMonthly' } });
  });
});

describe('describeSpendRefusal', () => {
  it('names the budget, what is left and when it resets', () => {
    expect(describeSpendRefusal({ kind: 'budget', budget: 'globalMonthly', budgetUsd: 100, leftUsd: 0.32, neededUsd: 10.92, resetsAt: new Date('2027-01-01T00:00:00.000Z') })).toBe(
      'This video could cost up to $10.92, and this service\'s monthly budget of $100.00 has $0.32 left; it resets on the first of the month (UTC) (2027-01-01T00:00:00.000Z). Choose a shorter video or a cheaper model, or try again next month.',
    );
    expect(describeSpendRefusal({ kind: 'budget', budget: 'anonymousUserDaily', budgetUsd: 1, leftUsd: 0, neededUsd: 0.66, resetsAt: new Date('2027-01-01T00:00:00.000Z') })).toMatch(
      /the daily budget for anonymous users of \$1\.00 has \$0\.00 left; it resets at midnight UTC .* Sign in for a larger one/,
    );
    expect(describeSpendRefusal({ kind: 'rate', retryAfterSeconds: 12, perMinute: 5 })).toBe('You are creating videos too fast (at most 5 a minute); try again in 12 s.');
  });
});

describe('settleShares', () => {
  const reservation: Reservation = { day: '2026-12-31', month: '2026-12', shards: [{ shard: 4, microUsd: 300_000 }, { shard: 5, microUsd: 700_000 }] };

  it('releases each shard\'s part and charges each at most its part', () => {
    expect(reservedMicroUsdOf(reservation)).toBe(1_000_000);
    expect(settleShares(reservation, 450_000)).toEqual([
      { shard: 4, releaseMicroUsd: 300_000, spendMicroUsd: 300_000 },
      { shard: 5, releaseMicroUsd: 700_000, spendMicroUsd: 150_000 },
    ]);
    expect(settleShares(reservation, 0).map((s) => s.spendMicroUsd)).toEqual([0, 0]);
  });

  it('charges a cost above the worst case in full, on the first shard', () => {
    expect(settleShares(reservation, 1_200_000)).toEqual([
      { shard: 4, releaseMicroUsd: 300_000, spendMicroUsd: 500_000 },
      { shard: 5, releaseMicroUsd: 700_000, spendMicroUsd: 700_000 },
    ]);
  });
});

/**
 * The ledger under concurrency, as Firestore runs it: each creation reads documents (with their
 * versions), decides, and commits later only if none of the documents it writes changed since it
 * read them; settlements are blind increments at any moment. Many creations interleave at random.
 */
describe('the monthly budget under concurrency', () => {
  interface Doc { version: number; totals: LedgerTotals }
  interface Pending { user: number; amount: number; reads: Map<string, number>; decision: ReturnType<typeof decideReservation> }

  function simulate(seed: number, budgetUsd: number, amounts: number[]) {
    let state = seed;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const docs = new Map<string, Doc>();
    const get = (key: string): Doc => docs.get(key) ?? { version: 0, totals: ledger() };
    const put = (key: string, totals: LedgerTotals) => docs.set(key, { version: get(key).version + 1, totals });
    const lim = limits({ globalMonthlyBudgetUsd: budgetUsd, userDailyBudgetUsd: 1_000, userJobsPerMinute: 1_000 });
    const budget = Math.round(budgetUsd * 1_000_000);
    const active: Array<{ user: number; reservation: Reservation; amount: number }> = [];
    const pending: Pending[] = [];
    let accepted = 0;
    let spent = 0;
    let attempts = 0;

    const startCreation = () => {
      const user = Math.floor(random() * 20);
      const amount = amounts[Math.floor(random() * amounts.length)]!;
      const start = Math.floor(random() * GLOBAL_LEDGER_SHARDS);
      const order = Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, i) => (start + i) % GLOBAL_LEDGER_SHARDS);
      const reads = new Map<string, number>();
      const read = (key: string) => {
        reads.set(key, get(key).version);
        return get(key).totals;
      };
      const decision = decideReservation({
        now: NOW, anonymous: false, limits: lim, amountMicroUsd: amount, recentCreations: [],
        userDay: read(`user-${user}`), shards: order.map((shard) => ({ shard, ledger: read(`shard-${shard}`) })),
      });
      attempts += 1;
      if (decision.kind === 'reserve') pending.push({ user, amount, reads, decision });
    };

    const commit = (index: number) => {
      const [p] = pending.splice(index, 1);
      if (!p || p.decision.kind !== 'reserve') return;
      const written = [`user-${p.user}`, ...p.decision.takes.map((t) => `shard-${t.shard}`)];
      // The precondition: every document written is as it was read, else the commit fails (and a real caller reads again).
      if (written.some((key) => get(key).version !== p.reads.get(key))) return;
      put(`user-${p.user}`, p.decision.userDay);
      for (const take of p.decision.takes) {
        const t = get(`shard-${take.shard}`).totals;
        put(`shard-${take.shard}`, { ...t, reservedMicroUsd: t.reservedMicroUsd + take.microUsd });
      }
      active.push({ user: p.user, amount: p.amount, reservation: { day: '2026-12-31', month: '2026-12', shards: p.decision.takes } });
      accepted += 1;
    };

    const settle = (index: number) => {
      const [job] = active.splice(index, 1);
      if (!job) return;
      const cost = Math.floor(random() * (job.amount + 1));
      spent += cost;
      const u = get(`user-${job.user}`).totals;
      put(`user-${job.user}`, { reservedMicroUsd: u.reservedMicroUsd - job.amount, spentMicroUsd: u.spentMicroUsd + cost });
      for (const share of settleShares(job.reservation, cost)) {
        const t = get(`shard-${share.shard}`).totals;
        put(`shard-${share.shard}`, { reservedMicroUsd: t.reservedMicroUsd - share.releaseMicroUsd, spentMicroUsd: t.spentMicroUsd + share.spendMicroUsd });
      }
    };

    /** Shards above their slice, and the month's total, now. */
    const check = () => {
      let sum = 0;
      let overSlice = 0;
      for (let i = 0; i < GLOBAL_LEDGER_SHARDS; i += 1) {
        const t = get(`shard-${i}`).totals;
        if (t.reservedMicroUsd + t.spentMicroUsd > shardSliceMicroUsd(budget, i)) overSlice += 1;
        sum += t.reservedMicroUsd + t.spentMicroUsd;
      }
      return { sum, overSlice };
    };

    let peak = 0;
    let overBudget = 0;
    let shardsOverSlice = 0;
    for (let step = 0; step < 3_000; step += 1) {
      const roll = random();
      if (roll < 0.45) startCreation();
      else if (roll < 0.85 && pending.length > 0) commit(Math.floor(random() * pending.length));
      else if (active.length > 0) settle(Math.floor(random() * active.length));
      const { sum, overSlice } = check();
      peak = Math.max(peak, sum);
      if (sum > budget) overBudget += 1;
      shardsOverSlice += overSlice;
    }
    const reservedNow = active.reduce((sum, job) => sum + job.amount, 0);
    return { accepted, attempts, total: check().sum, peak, overBudget, shardsOverSlice, reservedNow, spent, budget };
  }

  it.each([1, 2, 3, 4, 5])('never lets reserved + spent exceed the budget, and the ledger equals the jobs (seed %i)', (seed) => {
    // Jobs of $0.66 (AnimateDiff) to $10.92 (auto) against $100: slices of $3.125, so the large ones span shards.
    const run = simulate(seed, 100, [660_000, 1_980_000, 10_920_000]);
    expect({ overBudget: run.overBudget, shardsOverSlice: run.shardsOverSlice }).toEqual({ overBudget: 0, shardsOverSlice: 0 });
    expect(run.peak).toBeLessThanOrEqual(run.budget);
    // The ledgers and the jobs agree: what is held is what active jobs reserved plus what ended jobs cost.
    expect(run.total).toBe(run.reservedNow + run.spent);
    expect(run.accepted).toBeGreaterThan(0);
    expect(run.accepted).toBeLessThan(run.attempts);
  });

  it('fills a budget smaller than one job per shard to within one job of the top', () => {
    // $3 over 32 shards is under $0.10 a slice, so every $0.66 job spans shards; still four fit at once.
    const run = simulate(11, 3, [660_000]);
    expect(run.overBudget).toBe(0);
    expect(run.peak).toBeLessThanOrEqual(run.budget);
    expect(run.budget - run.peak).toBeLessThan(660_000);
  });
});
