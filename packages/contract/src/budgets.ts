import { z } from 'zod';
import { decideRate } from './controls';
import { formatUsd, toMicroUsd, toUsd } from './costs';
import type { Reservation } from './job';
import type { EffectiveLimits } from './limits';
import { daysAfter, LEDGER_RETENTION_DAYS } from './retention';

/**
 * Budgets as pure decisions over ledger documents: what `createVideoJob` reserves (a job's worst
 * case, against its owner's daily ledger and the project's monthly ledger) and what the end of a job
 * settles. `@vidgen/contract/admin` (budget-ledger.ts) reads the ledgers, calls these, and commits
 * the result atomically with the job write, conditional on every ledger document it read.
 *
 * The monthly ledger is sharded so that no one document takes every creation's write (Firestore
 * sustains about one write a second per document). Each of the {@link GLOBAL_LEDGER_SHARDS} shards
 * owns a fixed slice of the budget (the slices add up to the budget exactly), and the invariant
 *
 *     for every shard i:  reserved_i + spent_i <= slice_i
 *
 * is what makes the sum never exceed the budget: summed over the shards, reserved + spent <=
 * sum of slices = budget. A reservation keeps it because it writes each shard it takes from with the
 * value it read and a precondition on that read (a concurrent writer makes the commit fail and the
 * round start again), taking no more than the shard's room; a settlement keeps it because on each
 * shard it releases what the job reserved there and charges at most that (see {@link settleShares}).
 * A reservation takes from one shard when one has room for all of it, and spans several when not,
 * so a job larger than a slice still fits whenever the shards together have room.
 *
 * Two cases step outside, and neither is a concurrency race: an operator who lowers the budget
 * leaves shards above their new slice (they simply refuse until the month turns), and a job whose
 * real cost exceeds its worst case (a GPU attempt that held a worker longer than
 * GPU_ATTEMPT_MAX_SECONDS) is charged in full, so the books show every cent.
 */

/**
 * How many shards the monthly ledger has. Creations and job ends each write one shard (a job
 * larger than a slice, a few), so 20 creations a second with as many ends load each shard with
 * about 40/32 writes a second. Changing it mid-month would strand the usage on shards it drops, so
 * it is a constant.
 */
export const GLOBAL_LEDGER_SHARDS = 32;

export const BudgetNameSchema = z.enum(['userDaily', 'anonymousUserDaily', 'globalMonthly']);
export type BudgetName = z.infer<typeof BudgetNameSchema>;

/** A ledger document's totals, in micro-dollars. */
export interface LedgerTotals {
  reservedMicroUsd: number;
  spentMicroUsd: number;
}

export const EMPTY_LEDGER: LedgerTotals = { reservedMicroUsd: 0, spentMicroUsd: 0 };

export function reservedMicroUsdOf(reservation: Reservation): number {
  return reservation.shards.reduce((total, part) => total + part.microUsd, 0);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The UTC day a ledger counts: "2026-12-02". */
export function utcDayKey(now: Date): string {
  return `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`;
}

/** The UTC month a ledger counts: "2026-12". */
export function utcMonthKey(now: Date): string {
  return `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}`;
}

/** When a budget starts again: the next UTC midnight for the daily ones, the first of the next month for the monthly one. */
export function budgetResetsAt(budget: BudgetName, now: Date): Date {
  if (budget === 'globalMonthly') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/**
 * When Firestore's TTL policy may delete a ledger document: {@link LEDGER_RETENTION_DAYS} after its
 * period (a `YYYY-MM-DD` day or a `YYYY-MM` month) ended. Every write of a ledger sets it, so a
 * settlement that lands after a deletion leaves a document that expires too.
 */
export function ledgerExpiresAt(period: string): Date {
  const [year, month, day] = period.split('-').map(Number) as [number, number, number?];
  const end = day === undefined ? Date.UTC(year, month, 1) : Date.UTC(year, month - 1, day + 1);
  return daysAfter(new Date(end), LEDGER_RETENTION_DAYS);
}

/** What is left of `budgetMicroUsd` after a ledger's reservations and spending (never below 0). */
export function roomMicroUsd(ledger: LedgerTotals, budgetMicroUsd: number): number {
  return Math.max(0, budgetMicroUsd - ledger.reservedMicroUsd - ledger.spentMicroUsd);
}

/** Shard `index`'s fixed slice of the monthly budget; the slices add up to the budget exactly. */
export function shardSliceMicroUsd(budgetMicroUsd: number, index: number, shards = GLOBAL_LEDGER_SHARDS): number {
  const base = Math.floor(budgetMicroUsd / shards);
  return base + (index < budgetMicroUsd - base * shards ? 1 : 0);
}

/** What the whole monthly ledger can still reserve: the sum of the shards' room within their slices. */
export function globalRoomMicroUsd(shards: ReadonlyMap<number, LedgerTotals>, budgetMicroUsd: number): number {
  let room = 0;
  for (let index = 0; index < GLOBAL_LEDGER_SHARDS; index += 1) {
    room += roomMicroUsd(shards.get(index) ?? EMPTY_LEDGER, shardSliceMicroUsd(budgetMicroUsd, index));
  }
  return room;
}

export interface ShardTake {
  shard: number;
  microUsd: number;
}

/**
 * Takes `amountMicroUsd` from the shards given, each up to its room within its slice: all of it from
 * the first shard (in their order) that has room for all of it, so that a reservation writes one
 * shard and races fewer others; else across as many as needed, in order. Null when together they
 * have too little.
 */
export function takeFromShards(
  shards: ReadonlyArray<{ shard: number; ledger: LedgerTotals }>,
  amountMicroUsd: number,
  budgetMicroUsd: number,
): ShardTake[] | null {
  // A job that can cost nothing still names a shard, where a cost it did run up is charged.
  if (amountMicroUsd === 0) return shards[0] ? [{ shard: shards[0].shard, microUsd: 0 }] : null;
  const room = ({ shard, ledger }: { shard: number; ledger: LedgerTotals }) => roomMicroUsd(ledger, shardSliceMicroUsd(budgetMicroUsd, shard));
  const whole = shards.find((candidate) => room(candidate) >= amountMicroUsd);
  if (whole) return [{ shard: whole.shard, microUsd: amountMicroUsd }];
  const takes: ShardTake[] = [];
  let missing = amountMicroUsd;
  for (const candidate of shards) {
    if (missing === 0) break;
    const take = Math.min(missing, room(candidate));
    if (take === 0) continue;
    takes.push({ shard: candidate.shard, microUsd: take });
    missing -= take;
  }
  return missing === 0 ? takes : null;
}

/** Why a creation was refused by its rate or a budget, for the `resource-exhausted` the caller gets. */
export type SpendRefusal =
  | { kind: 'rate'; retryAfterSeconds: number; perMinute: number }
  | { kind: 'budget'; budget: BudgetName; budgetUsd: number; leftUsd: number; neededUsd: number; resetsAt: Date };

export type ReservationDecision =
  | {
      kind: 'reserve';
      recentCreations: Date[];
      /** The owner's daily ledger after this reservation. */
      userDay: LedgerTotals;
      takes: ShardTake[];
    }
  | { kind: 'refuse'; refusal: SpendRefusal };

export interface ReservationInput {
  now: Date;
  anonymous: boolean;
  limits: EffectiveLimits;
  /** The job's worst case ({@link worstCaseJob}). */
  amountMicroUsd: number;
  /** The owner's creations in the last minute, from their ledger. */
  recentCreations: readonly Date[];
  /** The owner's ledger for today. */
  userDay: LedgerTotals;
  /** Every shard of the monthly ledger, in the order to take from them (a missing document is empty). */
  shards: ReadonlyArray<{ shard: number; ledger: LedgerTotals }>;
}

/**
 * Decides a creation's reservation: the per-user rate first, then the owner's daily budget
 * (anonymous or signed-in), then the monthly budget, whose shards give what the job needs.
 */
export function decideReservation(input: ReservationInput): ReservationDecision {
  const { now, limits, amountMicroUsd } = input;
  const rate = decideRate(input.recentCreations, now, limits.userJobsPerMinute);
  if (!rate.ok) return { kind: 'refuse', refusal: { kind: 'rate', retryAfterSeconds: rate.retryAfterSeconds, perMinute: limits.userJobsPerMinute } };

  const userBudget: BudgetName = input.anonymous ? 'anonymousUserDaily' : 'userDaily';
  const userBudgetUsd = input.anonymous ? limits.anonymousUserDailyBudgetUsd : limits.userDailyBudgetUsd;
  const userRoom = roomMicroUsd(input.userDay, toMicroUsd(userBudgetUsd));
  if (amountMicroUsd > userRoom) {
    return { kind: 'refuse', refusal: budgetRefusal(userBudget, userBudgetUsd, userRoom, amountMicroUsd, now) };
  }

  const globalMicroUsd = toMicroUsd(limits.globalMonthlyBudgetUsd);
  const takes = takeFromShards(input.shards, amountMicroUsd, globalMicroUsd);
  if (!takes) {
    const room = globalRoomMicroUsd(new Map(input.shards.map((s) => [s.shard, s.ledger])), globalMicroUsd);
    return { kind: 'refuse', refusal: budgetRefusal('globalMonthly', limits.globalMonthlyBudgetUsd, room, amountMicroUsd, now) };
  }
  return {
    kind: 'reserve',
    recentCreations: rate.recentCreations,
    userDay: { ...input.userDay, reservedMicroUsd: input.userDay.reservedMicroUsd + amountMicroUsd },
    takes,
  };
}

function budgetRefusal(budget: BudgetName, budgetUsd: number, roomMicro: number, amountMicro: number, now: Date): SpendRefusal {
  return { kind: 'budget', budget, budgetUsd, leftUsd: toUsd(roomMicro), neededUsd: toUsd(amountMicro), resetsAt: budgetResetsAt(budget, now) };
}

const BUDGET_WORDS: Record<BudgetName, { what: string; resets: string; advice: string }> = {
  userDaily: { what: 'your daily budget', resets: 'at midnight UTC', advice: 'choose a shorter video or a cheaper model, or wait until then' },
  anonymousUserDaily: { what: 'the daily budget for anonymous users', resets: 'at midnight UTC', advice: 'sign in for a larger one, choose a shorter video, or wait until then' },
  globalMonthly: { what: 'this service\'s monthly budget', resets: 'on the first of the month (UTC)', advice: 'choose a shorter video or a cheaper model, or try again next month' },
};

/** What the caller reads: which limit, how far over, and when it resets. */
export function describeSpendRefusal(refusal: SpendRefusal): string {
  if (refusal.kind === 'rate') {
    return `You are creating videos too fast (at most ${refusal.perMinute} a minute); try again in ${refusal.retryAfterSeconds} s.`;
  }
  const words = BUDGET_WORDS[refusal.budget];
  return (
    `This video could cost up to ${formatUsd(refusal.neededUsd)}, and ${words.what} of ${formatUsd(refusal.budgetUsd)} has ` +
    `${formatUsd(refusal.leftUsd)} left; it resets ${words.resets} (${refusal.resetsAt.toISOString()}). ${words.advice[0]!.toUpperCase()}${words.advice.slice(1)}.`
  );
}

/** What the end of a job does to one shard of the monthly ledger. */
export interface ShardSettlement {
  shard: number;
  releaseMicroUsd: number;
  spendMicroUsd: number;
}

/**
 * Splits a finished job's real cost over the shards its reservation lies in: each shard gets its
 * reservation back and is charged at most that much, in order, so no shard ends above its slice;
 * the charge beyond the whole reservation (a cost above the worst case) lands on the first shard,
 * so the ledger shows every cent.
 */
export function settleShares(reservation: Reservation, costMicroUsd: number): ShardSettlement[] {
  let left = costMicroUsd;
  const shares = reservation.shards.map((part) => {
    const spend = Math.min(left, part.microUsd);
    left -= spend;
    return { shard: part.shard, releaseMicroUsd: part.microUsd, spendMicroUsd: spend };
  });
  if (left > 0 && shares[0]) shares[0].spendMicroUsd += left;
  return shares;
}
