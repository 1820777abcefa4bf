import { randomUUID } from 'node:crypto';
import { documentKind, LostCommits } from '../src/api/lost-commits';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';

jest.setTimeout(20_000);

/** LostCommits on the Firestore emulator: after a lost commit, the next round's reads name what changed. */
describe('LostCommits', () => {
  let firestore: UnitFirestore;

  beforeAll(() => {
    firestore = unitFirestore('lost-commits');
  });
  afterAll(() => firestore.close());

  it('names the documents a concurrent writer changed since the losing commit read them, and only those', async () => {
    const uid = `user-${randomUUID()}`;
    const quota = firestore.db.doc(`quotas/${uid}`);
    const shard = firestore.db.doc('ledgers/global-2026-12/shards/7');
    const day = firestore.db.doc(`ledgers/user-${uid}/days/2026-12-02`);
    await quota.set({ active: 1 });
    await shard.set({ reservedMicroUsd: 0 });
    const lost = new LostCommits();

    lost.conditionalOn(await firestore.db.getAll(quota, shard, day));
    await shard.set({ reservedMicroUsd: 660_000 });
    await day.create({ reservedMicroUsd: 660_000 });
    lost.reread(await firestore.db.getAll(quota, shard, day));
    expect(lost.changed).toEqual(['month shard', 'day ledger']);

    // A round that follows a commit that won records nothing; one after a loss with nothing changed says so.
    lost.reread(await firestore.db.getAll(quota, shard, day));
    lost.conditionalOn(await firestore.db.getAll(quota));
    lost.reread(await firestore.db.getAll(quota));
    expect(lost.changed).toEqual(['month shard', 'day ledger', 'none changed']);
  });

  it('names each document of a creation\'s commit by what it is', () => {
    expect(['quotas/u1', 'idempotencyKeys/abc', 'ledgers/user-u1', 'ledgers/user-u1/days/2026-12-02', 'ledgers/global-2026-12/shards/31', 'jobs/j1'].map(documentKind))
      .toEqual(['quota counter', 'idempotency key', 'rate window', 'day ledger', 'month shard', 'jobs']);
  });
});
