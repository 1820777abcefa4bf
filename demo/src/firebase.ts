import { initializeApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, signInAnonymously, type Auth } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, type Firestore } from 'firebase/firestore';
import { connectFunctionsEmulator, getFunctions, type Functions } from 'firebase/functions';
import { connectStorageEmulator, getStorage, type FirebaseStorage } from 'firebase/storage';
import { initAppCheck } from '@vidgen/client';
import type { StackConfig } from './stack-config';

export interface Services {
  auth: Auth;
  db: Firestore;
  functions: Functions;
  storage: FirebaseStorage;
}

/**
 * Upper bound on retrying a failed reference-image upload. The SDK retries unreachable hosts for
 * ten minutes by default; a local object store that refuses uploads should be reported in seconds.
 */
const UPLOAD_RETRY_MS = 8_000;

/** The Firebase web SDK as an app sets it up, App Check first, pointed at the local stack's emulators. */
export function connectServices(config: StackConfig): Services {
  const app = initializeApp({ projectId: config.projectId, apiKey: config.apiKey, storageBucket: config.storageBucket, appId: 'demo-web-app' });
  const appCheck = config.appCheck;
  if (appCheck?.kind === 'emulator') initAppCheck(app, { emulator: true });
  else if (appCheck?.kind === 'recaptcha-enterprise') initAppCheck(app, { siteKey: appCheck.siteKey, ...(appCheck.debugToken ? { debugToken: appCheck.debugToken } : {}) });
  const { host } = config.emulators;
  const auth = getAuth(app);
  // The page shows its own banner about running locally; the SDK's would cover the form.
  connectAuthEmulator(auth, `http://${host}:${config.emulators.auth}`, { disableWarnings: true });
  const db = getFirestore(app);
  connectFirestoreEmulator(db, host, config.emulators.firestore);
  const functions = getFunctions(app, config.region);
  connectFunctionsEmulator(functions, host, config.emulators.functions);
  const storage = getStorage(app);
  connectStorageEmulator(storage, host, config.emulators.storage);
  storage.maxUploadRetryTime = UPLOAD_RETRY_MS;
  return { auth, db, functions, storage };
}

/** Signs in anonymously (a new user per browser profile) and resolves with the uid. */
export async function signIn(auth: Auth): Promise<string> {
  return (await signInAnonymously(auth)).user.uid;
}
