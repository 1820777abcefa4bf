import type { DocumentSnapshot } from 'firebase-admin/firestore';

/**
 * Which documents made a conditional commit lose. Firestore's refusal does not name the document
 * whose precondition failed, but the next round reads every one of them again: those whose version
 * moved since the losing round read them are the ones a concurrent writer took.
 */
export class LostCommits {
  private pending = new Map<string, string>();
  /** One entry per document found changed after a lost commit, named by {@link documentKind}. */
  readonly changed: string[] = [];

  /** Records the documents a commit about to be tried is conditional on, as read. */
  conditionalOn(snapshots: readonly DocumentSnapshot[]): void {
    this.pending = new Map(snapshots.map((snapshot) => [snapshot.ref.path, versionOf(snapshot)]));
  }

  /** Given a round's fresh reads: notes which documents of the previous, lost commit changed since. */
  reread(snapshots: readonly DocumentSnapshot[]): void {
    if (this.pending.size === 0) return;
    const before = this.pending;
    this.pending = new Map();
    const moved = snapshots.filter((snapshot) => before.has(snapshot.ref.path) && before.get(snapshot.ref.path) !== versionOf(snapshot));
    this.changed.push(...(moved.length ? moved.map((snapshot) => documentKind(snapshot.ref.path)) : ['none changed']));
  }
}

function versionOf(snapshot: DocumentSnapshot): string {
  return snapshot.updateTime ? `${snapshot.updateTime.seconds}.${snapshot.updateTime.nanoseconds}` : 'absent';
}

/** What a document of a creation's commit is, from its path. */
export function documentKind(path: string): string {
  if (path.startsWith('quotas/')) return 'quota counter';
  if (path.startsWith('idempotencyKeys/')) return 'idempotency key';
  if (/^ledgers\/global-[^/]+\/shards\//.test(path)) return 'month shard';
  if (/^ledgers\/user-[^/]+\/days\//.test(path)) return 'day ledger';
  if (/^ledgers\/user-[^/]+$/.test(path)) return 'rate window';
  return path.split('/')[0] ?? path;
}
