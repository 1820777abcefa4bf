import { FieldValue, type DocumentReference, type DocumentSnapshot, type Firestore, type WriteBatch } from 'firebase-admin/firestore';
import {
  decideReservation,
  describeSpendRefusal,
  GLOBAL_LEDGER_SHARDS,
  ledgerExpiresAt,
  reservedMicroUsdOf,
  settleShares,
  utcDayKey,
  utcMonthKey,
  type LedgerTotals,
  type SpendRefusal,
} from '../budgets';
import { toMicroUsd, toUsd } from '../costs';
import { COLLECTIONS, type Job, type Reservation } from '../job';
import type { EffectiveLimits } from '../limits';
import { daysAfter, RATE_WINDOW_RETENTION_DAYS } from '../retention';

/** `ledgers/user-{uid}`: the user's latest creations, for the per-user rate. */
export function userLedgerRef(db: Firestore, uid: string): DocumentReference {
  return db.collection(COLLECTIONS.ledgers).doc(`user-${uid}`);
}

/** `ledgers/user-{uid}/days/{YYYY-MM-DD}`: what the user's jobs created that day reserve and spent. */
export function userDayLedgerRef(db: Firestore, uid: string, day: string): DocumentReference {
  return userLedgerRef(db, uid).collection('days').doc(day);
}

/** `ledgers/global-{YYYY-MM}/shards/{i}`: one shard of the project's ledger for the month. */
export function globalShardRef(db: Firestore, month: string, shard: number): DocumentReference {
  return db.collection(COLLECTIONS.ledgers).doc(`global-${month}`).collection('shards').doc(String(shard));
}

/** A creation refused by the per-user rate or a budget; `createVideoJob` answers `resource-exhausted`. */
export class SpendRefused extends Error {
  override readonly name = 'SpendRefused';
  constructor(readonly refusal: SpendRefusal) {
    super(describeSpendRefusal(refusal));
  }
}

/**
 * A ledger amount as stored. A value that is not a whole number of micro-dollars (a hand edit gone
 * wrong) counts as everything spent: the ledger refuses rather than open up.
 */
function amount(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : Number.MAX_SAFE_INTEGER;
}

function totals(snapshot: DocumentSnapshot): LedgerTotals {
  if (!snapshot.exists) return { reservedMicroUsd: 0, spentMicroUsd: 0 };
  return { reservedMicroUsd: amount(snapshot.get('reservedMicroUsd') ?? 0), spentMicroUsd: amount(snapshot.get('spentMicroUsd') ?? 0) };
}

function recentCreations(snapshot: DocumentSnapshot): Date[] {
  const value: unknown = snapshot.get('recentCreations');
  if (!Array.isArray(value)) return [];
  return value.flatMap((at: unknown) => {
    const toDate = (at as { toDate?: unknown } | null)?.toDate;
    return typeof toDate === 'function' ? [(toDate as () => Date).call(at)] : [];
  });
}

/** Writes `data` over what was read, conditional on it being unchanged (created, when it did not exist). */
function writeOver(batch: WriteBatch, read: DocumentSnapshot, data: Record<string, unknown>): void {
  if (read.exists) batch.update(read.ref, data, { lastUpdateTime: read.updateTime! });
  else batch.create(read.ref, data);
}

/** A reservation decided and ready to commit with the job that holds it. */
export interface SpendReservation {
  /** The fields the new job carries, so that its end releases exactly this. */
  job: { reservedUsd: number; reservation: Reservation };
  /** Adds the ledger writes to the batch that creates the job, each conditional on the ledger document as read. */
  addTo(batch: WriteBatch): void;
  /** The ledger documents as read that those writes are conditional on. */
  conditionalOn: DocumentSnapshot[];
}

export interface ReserveArgs {
  uid: string;
  anonymous: boolean;
  limits: EffectiveLimits;
  /** The job's worst case, in micro-dollars. */
  amountMicroUsd: number;
  /** Firestore's clock: picks the day and month, and stamps the rate window. */
  now: Date;
  /**
   * The documents of {@link spendLedgerRefs}, read by the caller in the same round trip as its own;
   * read here when absent or when they are another day's (the caller's clock and `now` straddled midnight).
   */
  read?: DocumentSnapshot[];
  /** Orders the shards to take from; tests pass their own. */
  random?: () => number;
}

/**
 * What a creation by `uid` at `at` decides on, in this order: the user's rate window, the user's
 * ledger for the day, and every shard of the month's ledger. Reading every shard costs 32 document
 * reads in the same round trip, and lets a reservation skip the full ones and refuse on one read.
 */
export function spendLedgerRefs(db: Firestore, uid: string, at: Date): DocumentReference[] {
  const month = utcMonthKey(at);
  return [
    userLedgerRef(db, uid),
    userDayLedgerRef(db, uid, utcDayKey(at)),
    ...Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, shard) => globalShardRef(db, month, shard)),
  ];
}

/**
 * Every shard in a random order (Fisher-Yates). A reservation takes from the first one with room for
 * all of it, so concurrent creations pick uniformly among those; a rotation from a random start
 * would send every creation whose start falls in a run of full shards to the same shard after it.
 */
function shuffledShards(random: () => number): number[] {
  const order = Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1)) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function isReadOf(read: DocumentSnapshot[] | undefined, refs: DocumentReference[]): read is DocumentSnapshot[] {
  return read?.length === refs.length && read.every((snapshot, i) => snapshot.ref.path === refs[i]!.path);
}

/**
 * Decides with {@link decideReservation} on the documents of {@link spendLedgerRefs} (taking from the
 * shards in a random order, so that concurrent creations spread over those with room), and returns the
 * writes for the job's commit; throws {@link SpendRefused} when the rate or a budget says no. Nothing
 * is written here: the caller commits these writes with the job, so a reservation exists exactly
 * when its job does, and a conflict on any ledger document fails the whole commit (the caller then
 * runs its round again, reading afresh).
 */
export async function reserveSpend(db: Firestore, args: ReserveArgs): Promise<SpendReservation> {
  const { uid, limits, amountMicroUsd, now } = args;
  const day = utcDayKey(now);
  const month = utcMonthKey(now);
  const refs = spendLedgerRefs(db, uid, now);
  const [user, userDay, ...shards] = isReadOf(args.read, refs) ? args.read : await db.getAll(...refs);
  const order = shuffledShards(args.random ?? Math.random);
  const decision = decideReservation({
    now,
    anonymous: args.anonymous,
    limits,
    amountMicroUsd,
    recentCreations: recentCreations(user!),
    userDay: totals(userDay!),
    shards: order.map((shard) => ({ shard, ledger: totals(shards[shard]!) })),
  });
  if (decision.kind === 'refuse') throw new SpendRefused(decision.refusal);

  const { takes, recentCreations: creations, userDay: dayAfter } = decision;
  const reservation: Reservation = { day, month, shards: takes };
  return {
    job: { reservedUsd: toUsd(amountMicroUsd), reservation },
    conditionalOn: [user!, userDay!, ...takes.map((take) => shards[take.shard]!)],
    addTo(batch) {
      const rateExpiresAt = daysAfter(now, RATE_WINDOW_RETENTION_DAYS);
      writeOver(batch, user!, { ownerUid: uid, anonymous: args.anonymous, recentCreations: creations, updatedAt: now, expiresAt: rateExpiresAt });
      writeOver(batch, userDay!, { ownerUid: uid, day, ...dayAfter, updatedAt: now, expiresAt: ledgerExpiresAt(day) });
      for (const take of takes) {
        const read = shards[take.shard]!;
        const ledger = totals(read);
        writeOver(batch, read, {
          month,
          shard: take.shard,
          reservedMicroUsd: ledger.reservedMicroUsd + take.microUsd,
          spentMicroUsd: ledger.spentMicroUsd,
          updatedAt: now,
          expiresAt: ledgerExpiresAt(month),
        });
      }
    },
  };
}

/**
 * The end of a job, in the commit that ends it: releases what its creation reserved, from the same
 * day's and month's ledgers, and charges what it really cost (`costUsd`). Blind increments, as
 * {@link JobRepository} requires of writes beside a job change; the job's own precondition makes
 * them happen once, with the one write that makes the job terminal. A job made before budgets holds
 * no reservation and settles nothing.
 */
export function settleSpend(batch: WriteBatch, db: Firestore, ended: Job): void {
  const { reservation } = ended;
  if (!reservation) return;
  const costMicroUsd = toMicroUsd(ended.costUsd);
  const updatedAt = ended.updatedAt;
  batch.set(
    userDayLedgerRef(db, ended.ownerUid, reservation.day),
    { reservedMicroUsd: FieldValue.increment(-reservedMicroUsdOf(reservation)), spentMicroUsd: FieldValue.increment(costMicroUsd), updatedAt, expiresAt: ledgerExpiresAt(reservation.day) },
    { merge: true },
  );
  for (const share of settleShares(reservation, costMicroUsd)) {
    batch.set(
      globalShardRef(db, reservation.month, share.shard),
      { reservedMicroUsd: FieldValue.increment(-share.releaseMicroUsd), spentMicroUsd: FieldValue.increment(share.spendMicroUsd), updatedAt, expiresAt: ledgerExpiresAt(reservation.month) },
      { merge: true },
    );
  }
}

/**
 * Charges what an ended job's cost grew by afterwards (a Replicate charge the watchdog read once the
 * prediction it had cancelled ended) to the same day's and month's ledgers, so the ledgers and the
 * jobs keep agreeing. The reservation was released when the job ended; this only adds spend.
 */
export function chargeLateSpend(batch: WriteBatch, db: Firestore, job: Job, addedUsd: number): void {
  const { reservation } = job;
  const addedMicroUsd = toMicroUsd(addedUsd);
  if (!reservation || addedMicroUsd <= 0) return;
  const updatedAt = job.updatedAt;
  batch.set(userDayLedgerRef(db, job.ownerUid, reservation.day), { spentMicroUsd: FieldValue.increment(addedMicroUsd), updatedAt, expiresAt: ledgerExpiresAt(reservation.day) }, { merge: true });
  const [first] = reservation.shards;
  if (first) {
    batch.set(globalShardRef(db, reservation.month, first.shard), { spentMicroUsd: FieldValue.increment(addedMicroUsd), updatedAt, expiresAt: ledgerExpiresAt(reservation.month) }, { merge: true });
  }
}
