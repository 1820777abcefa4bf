import { randomUUID } from 'node:crypto';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';

/** Where the `unit` project's global setup started its Firestore emulator (host:port). */
export const UNIT_FIRESTORE_ENV = 'VIDGEN_UNIT_FIRESTORE';

export interface UnitFirestore {
  app: App;
  db: Firestore;
  close(): Promise<void>;
}

/**
 * The Admin SDK on the unit layer's Firestore emulator, in a `demo-` project of its own: a test
 * file's queries (the watchdog's sweep reads every job) never see another file's documents.
 */
export function unitFirestore(name: string): UnitFirestore {
  const host = process.env[UNIT_FIRESTORE_ENV];
  if (!host) throw new Error(`${UNIT_FIRESTORE_ENV} is not set: run this test through the unit project (jest --selectProjects unit), whose global setup starts the Firestore emulator`);
  const projectId = `demo-unit-${name}-${randomUUID().slice(0, 8)}`;
  const app = initializeApp({ projectId }, projectId);
  const db = getFirestore(app);
  db.settings({ host, ssl: false, ignoreUndefinedProperties: true });
  return { app, db, close: () => deleteApp(app) };
}
