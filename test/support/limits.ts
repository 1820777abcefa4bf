import { FieldPath } from 'firebase-admin/firestore';
import { LIMITS_DOCUMENT, utcDayKey, utcMonthKey, type LedgerTotals, type Limits } from '@vidgen/contract';
import { DEMO_LIMITS } from '../../scripts/stack/demo-limits';
import { adminDb } from './admin';
import { stackState } from './stack-state';

/** Writes `config/limits` as an operator does in the console (an Admin SDK write); no wait. */
export async function writeLimits(limits: Record<string, unknown>): Promise<void> {
  await adminDb().doc(LIMITS_DOCUMENT).set(limits);
}

/** How long the functions may keep config/limits (the stack's LIMITS_CACHE_SECONDS), and a margin. */
function cacheWaitMs(): number {
  return stackState().limitsCacheSeconds * 1000 + 500;
}

/** Writes `config/limits` over the stack's permissive demo limits and waits until the functions see it. */
export async function useLimits(change: Limits): Promise<void> {
  await writeLimits({ ...DEMO_LIMITS, ...change });
  await new Promise((resolve) => setTimeout(resolve, cacheWaitMs()));
}

/** Puts the stack's demo limits back and waits until the functions see them. */
export async function restoreLimits(): Promise<void> {
  await useLimits({});
}

/** Whether anything about `uid` exists in the ledgers (its rate window or today's ledger). */
export async function userLedgerExists(uid: string): Promise<boolean> {
  const db = adminDb();
  const [user, day] = await db.getAll(db.doc(`ledgers/user-${uid}`), db.doc(`ledgers/user-${uid}/days/${utcDayKey(new Date())}`));
  return Boolean(user?.exists || day?.exists);
}

/** `uid`'s ledger for today. */
export async function userDayLedger(uid: string): Promise<LedgerTotals> {
  const snapshot = await adminDb().doc(`ledgers/user-${uid}/days/${utcDayKey(new Date())}`).get();
  return { reservedMicroUsd: Number(snapshot.get('reservedMicroUsd') ?? 0), spentMicroUsd: Number(snapshot.get('spentMicroUsd') ?? 0) };
}

/** This month's shards of the project's ledger, by shard. */
export async function monthShards(month = utcMonthKey(new Date())): Promise<Map<number, LedgerTotals>> {
  const snapshot = await adminDb().collection(`ledgers/global-${month}/shards`).orderBy(FieldPath.documentId()).get();
  return new Map(snapshot.docs.map((doc) => [
    Number(doc.id),
    { reservedMicroUsd: Number(doc.get('reservedMicroUsd') ?? 0), spentMicroUsd: Number(doc.get('spentMicroUsd') ?? 0) },
  ]));
}

/** Waits until no job of the stack's project is queued or running, so that the ledgers hold no reservation. */
export async function untilNoActiveJobs(timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = await adminDb().collection('jobs').where('state', 'in', ['queued', 'running']).get();
    if (active.empty) return;
    if (Date.now() > deadline) throw new Error(`${active.size} jobs still active after ${timeoutMs / 1000} s: ${active.docs.map((d) => `${d.id} ${String(d.get('state'))}`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A refused call as a plain object, so that a failed expectation prints its message and details too. */
export interface Refusal {
  code: string;
  message: string;
  details: unknown;
}

/** The refusal of a `createVideoJob` call that is expected to fail; a call that succeeds fails the test. */
export async function refusalOf(call: () => Promise<{ jobId: string }>): Promise<Refusal> {
  let jobId: string;
  try {
    ({ jobId } = await call());
  } catch (error) {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof code !== 'string') throw error;
    // The web SDK ends the message with the HTTP status (" [503]"); the server's message is before it.
    return { code, message: String(message).replace(/ \[\d{3}\]$/, ''), details };
  }
  throw new Error(`createVideoJob was accepted (job ${jobId}) where a refusal was expected`);
}
