import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { getFunctions } from 'firebase-admin/functions';
import { stackState } from './stack-state';

/** The Admin SDK against the test stack, to inspect what the system wrote and to play Cloud Tasks' part. */
export function adminApp(): App {
  const { projectId } = stackState();
  return getApps().find((a) => a.name === 'test-admin') ?? initializeApp({ projectId }, 'test-admin');
}

export function adminDb(): Firestore {
  return getFirestore(adminApp());
}

/** Delivers a `runAttempt` task through the Tasks emulator, as a redelivery would. */
export async function deliverRunAttempt(jobId: string, attemptIndex: number, taskId: string): Promise<void> {
  await getFunctions(adminApp()).taskQueue('runAttempt').enqueue({ jobId, attemptIndex }, { id: taskId });
}

/** How many jobs of `uid` exist (in the given states, or any). */
export async function jobsOf(uid: string, states?: string[]): Promise<number> {
  const snapshot = await adminDb().collection('jobs').where('ownerUid', '==', uid).get();
  return snapshot.docs.filter((doc) => !states || states.includes(doc.get('state') as string)).length;
}

/** Resolves with the job once `predicate` holds, from an Admin SDK snapshot listener; rejects after `timeoutMs` with what it last saw. */
export function jobWhen(jobId: string, predicate: (job: DocumentData) => boolean, timeoutMs = 60_000): Promise<DocumentData> {
  return new Promise((resolve, reject) => {
    let last: DocumentData | undefined;
    const timer = setTimeout(() => {
      stop();
      const seen = { state: last?.state, attempt: last?.attempt, attempts: last?.attempts, error: last?.error, costPending: last?.costPending };
      reject(new Error(`Job ${jobId} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(seen)}`));
    }, timeoutMs);
    const stop = adminDb().doc(`jobs/${jobId}`).onSnapshot((snapshot) => {
      last = snapshot.data();
      if (last && predicate(last)) {
        clearTimeout(timer);
        stop();
        resolve(last);
      }
    }, reject);
  });
}
