import { deleteApp, type FirebaseApp } from 'firebase/app';
import { signInAnonymously } from 'firebase/auth';
import { doc, onSnapshot, setLogLevel, type DocumentData, type Firestore } from 'firebase/firestore';
import { httpsCallable, type Functions } from 'firebase/functions';
import type { CreateVideoJobRequest, CreateVideoJobResponse, JobState } from '@vidgen/contract';
import type { StackState } from '../stack/stack';
import { connectWebApp } from '../stack/web-app';

/** A web app as our users write it: the Firebase web SDK, signed in anonymously, on the bench stack's emulators. */
export interface BenchUser {
  app: FirebaseApp;
  uid: string;
  db: Firestore;
  functions: Functions;
  createVideoJob(input: Partial<CreateVideoJobRequest>): Promise<CreateVideoJobResponse>;
  cancelVideoJob(jobId: string): Promise<{ state: JobState }>;
  close(): Promise<void>;
}

/** Signs a new anonymous user in; `callTimeoutMs` bounds each callable (the SDK's default is 70 s). */
export async function signedInUser(state: StackState, options: { callTimeoutMs?: number } = {}): Promise<BenchUser> {
  setLogLevel('error');
  const { app, auth, db, functions } = connectWebApp(state, 'bench');
  const { uid } = (await signInAnonymously(auth)).user;
  const timeout = { timeout: options.callTimeoutMs ?? 70_000 };
  return {
    app,
    uid,
    db,
    functions,
    createVideoJob: async (input) => (await httpsCallable<unknown, CreateVideoJobResponse>(functions, 'createVideoJob', timeout)(input)).data,
    cancelVideoJob: async (jobId) => (await httpsCallable<unknown, { state: JobState }>(functions, 'cancelVideoJob', timeout)({ jobId })).data,
    close: () => deleteApp(app),
  };
}

/** A snapshot as the client received it, with the receive time (ms since the epoch). */
export interface SeenSnapshot {
  at: number;
  data: DocumentData;
}

export interface DocWatch {
  readonly seen: SeenSnapshot[];
  /** The first snapshot (already seen ones count) that satisfies `predicate`; rejects after `timeoutMs`. */
  until(predicate: (data: DocumentData) => boolean, timeoutMs: number): Promise<SeenSnapshot>;
  stop(): void;
}

/** Listens to a document with `onSnapshot`, stamping each snapshot on arrival. */
export function watchDoc(db: Firestore, collection: string, id: string): DocWatch {
  const seen: SeenSnapshot[] = [];
  const waiters = new Set<{ predicate: (data: DocumentData) => boolean; resolve: (s: SeenSnapshot) => void }>();
  let failure: Error | null = null;
  const unsubscribe = onSnapshot(
    doc(db, collection, id),
    (snapshot) => {
      const data = snapshot.data();
      if (!data) return;
      const entry = { at: Date.now(), data };
      seen.push(entry);
      for (const waiter of [...waiters]) {
        if (!waiter.predicate(data)) continue;
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    },
    (error) => {
      failure = error;
    },
  );
  return {
    seen,
    until(predicate, timeoutMs) {
      const already = seen.find((s) => predicate(s.data));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (s: SeenSnapshot) => {
            clearTimeout(timer);
            resolve(s);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const last = seen.at(-1)?.data;
          reject(failure ?? new Error(`${collection}/${id} did not reach the awaited state in ${timeoutMs / 1000} s (last state ${String(last?.state)}, error ${JSON.stringify(last?.error ?? null)})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop: unsubscribe,
  };
}

export const isTerminal = (job: DocumentData): boolean => ['succeeded', 'failed', 'cancelled'].includes(job.state as string);

/** Milliseconds of a Firestore Timestamp (web SDK), Date or number; NaN when absent. */
export function millis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (value && typeof (value as { toMillis?: unknown }).toMillis === 'function') return (value as { toMillis(): number }).toMillis();
  return Number.NaN;
}

/** The error code of a failed callable ("resource-exhausted"), without the "functions/" prefix. */
export function callableCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code.replace(/^functions\//, '') : 'unknown';
}
