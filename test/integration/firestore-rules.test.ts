import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertFails, assertSucceeds, initializeTestEnvironment, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { collection, doc, getDoc, getDocs, query, setDoc, updateDoc, where } from 'firebase/firestore';
import { ROOT } from '../../scripts/stack/stack';
import { stackState } from '../support/stack-state';

/** firestore.rules, loaded into the Firestore emulator under a project of its own. */
describe('firestore.rules', () => {
  let env: RulesTestEnvironment;

  beforeAll(async () => {
    const { ports } = stackState();
    env = await initializeTestEnvironment({
      projectId: 'demo-vidgen-rules',
      firestore: { host: '127.0.0.1', port: ports.firestore, rules: readFileSync(join(ROOT, 'firestore.rules'), 'utf8') },
    });
    await env.withSecurityRulesDisabled(async (context) => {
      const db = context.firestore();
      await setDoc(doc(db, 'jobs/alice-job'), { ownerUid: 'alice', state: 'queued' });
      await setDoc(doc(db, 'jobs/bob-job'), { ownerUid: 'bob', state: 'queued' });
      await setDoc(doc(db, 'workers/w1'), { url: 'http://127.0.0.1:8000' });
      await setDoc(doc(db, 'config/limits'), { paused: false });
      await setDoc(doc(db, 'ledgers/user-alice/days/2026-12-02'), { reservedMicroUsd: 0, spentMicroUsd: 0 });
    });
  });
  afterAll(() => env.cleanup());

  it('lets a user read their own job, one at a time and by query', async () => {
    const db = env.authenticatedContext('alice').firestore();
    await assertSucceeds(getDoc(doc(db, 'jobs/alice-job')));
    await assertSucceeds(getDocs(query(collection(db, 'jobs'), where('ownerUid', '==', 'alice'))));
  });

  it("denies another user's job and unfiltered listing", async () => {
    const db = env.authenticatedContext('alice').firestore();
    await assertFails(getDoc(doc(db, 'jobs/bob-job')));
    await assertFails(getDocs(collection(db, 'jobs')));
  });

  it('denies everything to a signed-out client', async () => {
    const db = env.unauthenticatedContext().firestore();
    await assertFails(getDoc(doc(db, 'jobs/alice-job')));
  });

  it('lets no client write jobs, even their own, nor read worker records', async () => {
    const db = env.authenticatedContext('alice').firestore();
    await assertFails(setDoc(doc(db, 'jobs/new'), { ownerUid: 'alice', state: 'queued' }));
    await assertFails(updateDoc(doc(db, 'jobs/alice-job'), { state: 'succeeded' }));
    await assertFails(getDoc(doc(db, 'workers/w1')));
  });

  it('lets no client read or write the live limits or the spend ledgers, not even their own', async () => {
    const db = env.authenticatedContext('alice').firestore();
    await assertFails(getDoc(doc(db, 'config/limits')));
    await assertFails(setDoc(doc(db, 'config/limits'), { paused: false, globalMonthlyBudgetUsd: 1e9 }));
    await assertFails(getDoc(doc(db, 'ledgers/user-alice/days/2026-12-02')));
    await assertFails(setDoc(doc(db, 'ledgers/user-alice/days/2026-12-02'), { reservedMicroUsd: 0, spentMicroUsd: 0 }));
    await assertFails(setDoc(doc(db, 'ledgers/global-2026-12/shards/0'), { reservedMicroUsd: 0, spentMicroUsd: 0 }));
  });
});
