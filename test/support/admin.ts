import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
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
