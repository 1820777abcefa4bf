import { deleteApp, type FirebaseApp } from 'firebase/app';
import { randomUUID } from 'node:crypto';
import { createUserWithEmailAndPassword, signInAnonymously } from 'firebase/auth';
import { collection, doc, onSnapshot, query, where, type DocumentData, type Firestore, type Query } from 'firebase/firestore';
import { httpsCallable, type Functions } from 'firebase/functions';
import type { CreateVideoJobRequest, CreateVideoJobResponse, JobState } from '@vidgen/contract';
import { connectWebApp } from '../../scripts/stack/web-app';
import { stackState } from './stack-state';

export interface WebUser {
  app: FirebaseApp;
  uid: string;
  db: Firestore;
  functions: Functions;
  createVideoJob(input: Partial<CreateVideoJobRequest> | Record<string, unknown>): Promise<CreateVideoJobResponse>;
  cancelVideoJob(jobId: string): Promise<{ state: JobState }>;
  close(): Promise<void>;
}

/**
 * A web app as our users write it: the Firebase web SDK with App Check, pointed at the emulators,
 * signed in anonymously (as the demo and the CLI are), or with a new email account
 * (`signIn: 'password'`), or not at all. `appCheck: false` leaves App Check out, as a script calling
 * the API directly would.
 */
export async function signedInUser(options: { signIn?: boolean | 'password'; callTimeoutMs?: number; appCheck?: boolean } = {}): Promise<WebUser> {
  const { app, auth, db, functions } = connectWebApp(stackState(), 'user', { appCheck: options.appCheck });
  const uid = options.signIn === false
    ? ''
    : options.signIn === 'password'
      ? (await createUserWithEmailAndPassword(auth, `user-${randomUUID()}@example.com`, randomUUID())).user.uid
      : (await signInAnonymously(auth)).user.uid;
  return {
    app,
    uid,
    db,
    functions,
    createVideoJob: async (input) => (await httpsCallable<unknown, CreateVideoJobResponse>(functions, 'createVideoJob', { timeout: options.callTimeoutMs ?? 70_000 })(input)).data,
    cancelVideoJob: async (jobId) => (await httpsCallable<unknown, { state: JobState }>(functions, 'cancelVideoJob')({ jobId })).data,
    close: () => deleteApp(app),
  };
}

export interface JobWatch {
  /** Every snapshot seen so far, in order. */
  snapshots: DocumentData[];
  /** Resolves with the first snapshot that satisfies `predicate` (already seen ones count). */
  until(predicate: (job: DocumentData) => boolean, timeoutMs?: number): Promise<DocumentData>;
  stop(): void;
}

/** Watches `jobs/{jobId}` with a snapshot listener, never by polling. */
export function watchJob(user: WebUser, jobId: string): JobWatch {
  return watchSnapshots(jobId, (onData, onError) => onSnapshot(doc(user.db, 'jobs', jobId), (snapshot) => onData(snapshot.data()), onError));
}

/**
 * Watches the user's jobs with a query listener attached before the job exists, as a "my videos"
 * view does, so the job is seen from its first version on. Await `ready` (the listener's first
 * answer) before creating the job; call `track(jobId)` once the id is known.
 */
export function watchNewJob(user: WebUser): { ready: Promise<void>; track(jobId: string): JobWatch } {
  const byJob = new Map<string, DocumentData[]>();
  const listeners = new Set<() => void>();
  const mine: Query = query(collection(user.db, 'jobs'), where('ownerUid', '==', user.uid));
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const unsubscribe = onSnapshot(mine, (snapshot) => {
    markReady();
    for (const change of snapshot.docChanges()) {
      if (change.type === 'removed') continue;
      const list = byJob.get(change.doc.id) ?? [];
      list.push(change.doc.data());
      byJob.set(change.doc.id, list);
    }
    for (const listener of listeners) listener();
  });
  return {
    ready,
    track(jobId) {
      return watchSnapshots(jobId, (onData) => {
        let seen = 0;
        const deliver = () => {
          const list = byJob.get(jobId) ?? [];
          for (; seen < list.length; seen += 1) onData(list[seen]);
        };
        listeners.add(deliver);
        deliver();
        return () => {
          listeners.delete(deliver);
          unsubscribe();
        };
      });
    },
  };
}

function watchSnapshots(
  jobId: string,
  subscribe: (onData: (data: DocumentData | undefined) => void, onError: (error: Error) => void) => () => void,
): JobWatch {
  const snapshots: DocumentData[] = [];
  const waiters: Array<{ predicate: (job: DocumentData) => boolean; resolve: (job: DocumentData) => void }> = [];
  let failure: Error | null = null;
  const unsubscribe = subscribe(
    (data) => {
      if (!data) return;
      snapshots.push(data);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(data)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(data);
        }
      }
    },
    (error) => {
      failure = error;
    },
  );
  return {
    snapshots,
    until(predicate, timeoutMs = 60_000) {
      const seen = snapshots.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const last = snapshots.at(-1);
          reject(failure ?? new Error(`Job ${jobId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last?.state)} ${JSON.stringify(last?.error ?? last?.progress)}`));
        }, timeoutMs);
        waiters.push({ predicate, resolve: (job) => { clearTimeout(timer); resolve(job); } });
      });
    },
    stop: unsubscribe,
  };
}

export const isTerminalJob = (job: DocumentData): boolean => ['succeeded', 'failed', 'cancelled'].includes(job.state as string);
