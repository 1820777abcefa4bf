import { randomUUID } from 'node:crypto';
import { initializeApp, type FirebaseApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, type Auth } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, type Firestore } from 'firebase/firestore';
import { connectFunctionsEmulator, getFunctions, type Functions } from 'firebase/functions';
import { initAppCheck } from '@vidgen/client';
import { HOST } from './ports';
import type { StackState } from './stack';

/**
 * A Firebase web app (a new one each call) pointed at a stack's emulators, as a web client sets one
 * up, App Check included (the stack enforces it, as production does); `appCheck: false` leaves it
 * out, to see what a client without it gets.
 */
export function connectWebApp(
  state: Pick<StackState, 'ports' | 'projectId' | 'region'>,
  namePrefix: string,
  options: { appCheck?: boolean } = {},
): { app: FirebaseApp; auth: Auth; db: Firestore; functions: Functions } {
  const { ports, projectId, region } = state;
  const app = initializeApp({ projectId, apiKey: 'demo-api-key', appId: 'demo-app' }, `${namePrefix}-${randomUUID()}`);
  if (options.appCheck !== false) initAppCheck(app, { emulator: true });
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${HOST}:${ports.auth}`, { disableWarnings: true });
  const db = getFirestore(app);
  connectFirestoreEmulator(db, HOST, ports.firestore);
  const functions = getFunctions(app, region);
  connectFunctionsEmulator(functions, HOST, ports.functions);
  return { app, auth, db, functions };
}
